import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type TestBrowser } from '../harness/browser';
import { startTestNode, type TestNode } from '../harness/testNode';
import { HUOQIU, ITEM_X, caseSnapshot, openAcceptedCase } from './support/fixtures';
import { httpRequest } from './support/http';
import { WsClient } from './support/wsClient';

// Issue #12 F7: a state-changing request must prove it comes from our own pages (Origin, or
// Sec-Fetch-Site: same-origin when a browser leaves Origin out). SameSite=Strict cookies do not
// help against a page on another port of the same host: that page is same-site.
describe('CSRF at the HTTP edge', () => {
  let t: TestNode;
  let counter: WsClient;
  let clerk: WsClient;
  let clerkCookie: { name: string; value: string };
  let counterCookie: { name: string; value: string };
  let caseId: string;
  let number: string;
  let evil: http.Server;
  let evilOrigin: string;
  let browser: TestBrowser | undefined;

  const cookieOf = (c: { name: string; value: string }) => `${c.name}=${c.value}`;
  const refused = (r: { status: number; json?: { error?: { code: string; message: string; details?: Record<string, unknown> } } }, reason: string) => {
    expect({ status: r.status, code: r.json?.error?.code, reason: r.json?.error?.details?.reason }).toEqual({ status: 403, code: 'ORIGIN_NOT_ALLOWED', reason });
    expect(r.json?.error?.message).toContain('请求来源不被允许');
  };

  beforeAll(async () => {
    t = await startTestNode();
    const k = await t.clerk(HUOQIU, [ITEM_X], '霍邱 孙丽');
    const c = await t.counter('wujiang-kyth-01');
    clerkCookie = k.cookie;
    counterCookie = c.cookie;
    counter = await WsClient.connect(t.origin, cookieOf(c.cookie));
    clerk = await WsClient.connect(t.origin, cookieOf(k.cookie));
    caseId = await openAcceptedCase(counter, clerk, ITEM_X);
    number = (await clerk.call('document.issue', { caseId, docType: 'receipt' })).number;
    // The attacker's page: same host, another port — same-site, so Strict cookies still go along.
    evil = http.createServer((req, res) => {
      const target = `${t.origin}/api/documents/${number}/reprint-approval`;
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><title>wait</title><script>
        fetch(${JSON.stringify(target)}, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: '{"reason":"卡纸"}' })
          .then(() => { document.title = 'sent'; }, () => { document.title = 'failed'; });
      </script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    evilOrigin = `http://localhost:${(evil.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([counter?.close(), clerk?.close()]);
    await new Promise((r) => evil?.close(r));
    await t?.dispose();
  });

  it('a cross-origin POST with the issuing clerk\'s valid cookie cannot approve a reprint; without Origin neither', async () => {
    const before = await caseSnapshot(t, caseId);
    const path = `/api/documents/${number}/reprint-approval`;
    const cookie = cookieOf(clerkCookie);
    refused(await httpRequest(t.origin, 'POST', path, { cookie, body: { reason: '卡纸' }, headers: { origin: evilOrigin } }), 'origin_not_allowed');
    refused(await httpRequest(t.origin, 'POST', path, { cookie, body: { reason: '卡纸' }, headers: { origin: 'null' } }), 'origin_not_allowed');
    // No Origin: only a browser's own word that the request is same-origin lets it through.
    const noOrigin = (headers: Record<string, string>) => fetch(t.origin + path, { method: 'POST', headers: { cookie, 'content-type': 'application/json', ...headers }, body: '{"reason":"卡纸"}' });
    const bare = await noOrigin({});
    expect(bare.status).toBe(403);
    expect(((await bare.json()) as { error: { code: string; details: { reason: string } } }).error).toMatchObject({ code: 'ORIGIN_NOT_ALLOWED', details: { reason: 'origin_missing' } });
    expect((await noOrigin({ 'sec-fetch-site': 'same-site' })).status).toBe(403);
    expect((await noOrigin({ 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect(await caseSnapshot(t, caseId)).toEqual(before);

    // Our own page's request goes through (the clerk approves once).
    const ok = await httpRequest(t.origin, 'POST', path, { cookie, body: { reason: '卡纸' } });
    expect(ok.status, ok.text).toBe(200);
    expect((await caseSnapshot(t, caseId)).events).toBe(before.events + 1);
    const sameOriginWithoutHeader = await noOrigin({ 'sec-fetch-site': 'same-origin' });
    expect(sameOriginWithoutHeader.status).toBe(200);
  });

  it('admin, auth and counter POSTs without a same-origin proof are refused before anything happens', async () => {
    const adminCookie = t.admin.cookieHeader;
    const bare = async (method: 'POST' | 'PUT' | 'DELETE', path: string, cookie: string, body?: unknown) => {
      const res = await fetch(t.origin + path, { method, headers: { cookie, 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      return { status: res.status, json: (await res.json()) as { error?: { code: string; message: string; details?: Record<string, unknown> } } };
    };
    const invitesBefore = await httpRequest(t.origin, 'GET', '/api/admin/invites', { cookie: adminCookie });
    refused(await bare('POST', '/api/admin/invites', adminCookie, { role: 'clerk', regionCode: HUOQIU, itemCodes: [ITEM_X] }), 'origin_missing');
    refused(await bare('POST', '/api/admin/regions', adminCookie, { code: '999999', name: '测试区', province: '测试省' }), 'origin_missing');
    refused(await bare('DELETE', '/api/admin/halls/huoqiu-zwfwzx', adminCookie), 'origin_missing');
    refused(await httpRequest(t.origin, 'POST', '/api/admin/invites', { cookie: adminCookie, body: { role: 'clerk', regionCode: HUOQIU, itemCodes: [ITEM_X] }, headers: { origin: evilOrigin } }), 'origin_not_allowed');
    expect(await t.node.catalog.get('region', '999999')).toBeUndefined();
    expect(await t.node.catalog.get('hall', 'huoqiu-zwfwzx')).toBeDefined();
    expect((await httpRequest(t.origin, 'GET', '/api/admin/invites', { cookie: adminCookie })).json).toEqual(invitesBefore.json);

    // A forged logout does not end the clerk's session; a counter's print token is not minted for a foreign page.
    refused(await bare('POST', '/api/auth/logout', cookieOf(clerkCookie)), 'origin_missing');
    expect((await httpRequest(t.origin, 'GET', '/api/auth/me', { cookie: cookieOf(clerkCookie) })).status).toBe(200);
    refused(await httpRequest(t.origin, 'POST', `/api/documents/${number}/print-token`, { cookie: cookieOf(counterCookie), headers: { origin: evilOrigin } }), 'origin_not_allowed');

    // The same admin request from our origin works.
    expect((await httpRequest(t.origin, 'POST', '/api/admin/invites', { cookie: adminCookie, body: { role: 'clerk', regionCode: HUOQIU, itemCodes: [ITEM_X] } })).status).toBe(201);
  });

  it('in Chromium: a page on another port of the same host gets nothing done; our own page still does', async () => {
    browser = await launchChromium();
    await t.addCookie(browser.context, clerkCookie);
    const before = await caseSnapshot(t, caseId);

    const attacker = await browser.context.newPage();
    await attacker.goto(`${evilOrigin}/`);
    await attacker.waitForFunction(() => document.title === 'sent' || document.title === 'failed');
    expect(await caseSnapshot(t, caseId)).toEqual(before);

    // Our own page (same origin: Chromium sends Origin) approves with the same cookie.
    const ours = await browser.context.newPage();
    const problems: string[] = [];
    ours.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    ours.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    await ours.goto(`${t.origin}/login.html`);
    await ours.evaluate(() =>
      document.addEventListener('securitypolicyviolation', (e) => {
        (window as unknown as { csp: string[] }).csp = [...((window as unknown as { csp?: string[] }).csp ?? []), e.violatedDirective];
      }),
    );
    const status = await ours.evaluate(
      async (n) => (await fetch(`/api/documents/${n}/reprint-approval`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reason: '卡纸' }) })).status,
      number,
    );
    expect(status).toBe(200);
    expect((await caseSnapshot(t, caseId)).events).toBe(before.events + 1);
    expect(await ours.evaluate(() => (window as unknown as { csp?: string[] }).csp ?? [])).toEqual([]);
    expect(problems).toEqual([]);
  });
});
