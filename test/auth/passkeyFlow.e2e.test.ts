import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type TestBrowser } from '../harness/browser';
import { startTestRedis, type TestRedis } from '../harness/redis';
import { startAuthTestServer, type AuthTestServer } from './authTestServer';

/*
 * End to end in headless Debian Chromium with the DevTools virtual authenticator (CTAP2, internal,
 * resident keys, user verification): bootstrap admin enrols and signs in, invites a clerk; the
 * clerk (another browser, another authenticator) enrols and signs in; the admin revokes the
 * clerk's passkey; the clerk's open session and any new sign-in are refused.
 */

interface Device {
  page: Page;
  cdp: CDPSession;
  authenticatorId: string;
}

async function withAuthenticator(context: BrowserContext, page?: Page): Promise<Device> {
  const p = page ?? (await context.newPage());
  const cdp = await context.newCDPSession(p);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  });
  return { page: p, cdp, authenticatorId };
}

/** Same device, new tab: the new page's authenticator holds the credentials of the old one. */
async function moveToFreshPage(context: BrowserContext, from: Device): Promise<Device> {
  const { credentials } = await from.cdp.send('WebAuthn.getCredentials', { authenticatorId: from.authenticatorId });
  const fresh = await withAuthenticator(context);
  for (const credential of credentials) {
    await fresh.cdp.send('WebAuthn.addCredential', { authenticatorId: fresh.authenticatorId, credential });
  }
  await from.page.close();
  return fresh;
}

async function apiFromPage<T>(page: Page, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: T }> {
  return page.evaluate(
    async ([m, p, b]) => {
      const res = await fetch(p as string, {
        method: m as string,
        headers: b === undefined ? {} : { 'content-type': 'application/json' },
        ...(b === undefined ? {} : { body: JSON.stringify(b) }),
      });
      return { status: res.status, json: await res.json() };
    },
    [method, path, body] as const,
  ) as Promise<{ status: number; json: T }>;
}

async function enrolViaPage(page: Page, url: string, name: string, expectScope: RegExp): Promise<void> {
  await page.goto(url);
  await expect.poll(() => page.locator('#scope').textContent(), { timeout: 15_000 }).toMatch(expectScope);
  // The invite token is a one-time secret: it must not stay in the address bar.
  expect(page.url()).not.toContain('#');
  await page.fill('#name', name);
  await page.click('#register');
  await page.waitForSelector('#status[data-state="ok"]', { timeout: 20_000 });
  expect(await page.locator('#status').textContent()).toContain('注册成功');
}

async function signInViaPage(page: Page, origin: string, landing: string): Promise<void> {
  await page.goto(`${origin}/login.html`);
  await page.click('#login');
  await page.waitForURL(`**${landing}`, { timeout: 20_000 });
}

let redis: TestRedis;
let srv: AuthTestServer;
let adminBrowser: TestBrowser;
let clerkBrowser: TestBrowser;

beforeAll(async () => {
  redis = await startTestRedis();
  srv = await startAuthTestServer({ redisUrl: redis.url });
  [adminBrowser, clerkBrowser] = await Promise.all([launchChromium(), launchChromium()]);
});

afterAll(async () => {
  await adminBrowser?.close();
  await clerkBrowser?.close();
  await srv?.close();
  await redis?.dispose();
});

describe('passkeys in Chromium (virtual authenticator)', () => {
  it('bootstrap admin → clerk invite → clerk signs in → passkey revoked → clerk locked out', async () => {
    const boot = await srv.auth.ensureBootstrapInvite();
    if (!boot) throw new Error('no bootstrap invite');
    expect(boot.url.startsWith(`${srv.origin}/enroll.html#`)).toBe(true);

    // 1. The first administrator enrols through the bootstrap link.
    const adminCtx = adminBrowser.context;
    let admin = await withAuthenticator(adminCtx, adminCtx.pages()[0]);
    await enrolViaPage(admin.page, boot.url, '省级管理员', /管理员（全省/);
    expect(await srv.auth.ensureBootstrapInvite()).toBeUndefined();

    // 2. It signs in on a fresh page with its discoverable credential (no username typed).
    admin = await moveToFreshPage(adminCtx, admin);
    await signInViaPage(admin.page, srv.origin, '/admin.html');
    const adminMe = await apiFromPage<{ data: { principal: { role: string; regionCodes: string[] } } }>(admin.page, 'GET', '/api/auth/me');
    expect(adminMe.status).toBe(200);
    expect(adminMe.json.data.principal).toMatchObject({ kind: 'staff', role: 'admin', regionCodes: ['*'] });
    // The session cookie is HttpOnly: page scripts cannot read it.
    expect(await admin.page.evaluate(() => document.cookie)).not.toContain('rvw_sid');

    // 3. The admin invites a clerk of region A for item X.
    const invite = await apiFromPage<{ data: { url: string } }>(admin.page, 'POST', '/api/admin/invites', { role: 'clerk', regionCode: 'A', itemCodes: ['X'] });
    expect(invite.status).toBe(201);

    // 4. The clerk, on another machine with its own authenticator, enrols and signs in.
    const clerkCtx = clerkBrowser.context;
    const clerk = await withAuthenticator(clerkCtx, clerkCtx.pages()[0]);
    await enrolViaPage(clerk.page, invite.json.data.url, '张三', /窗口工作人员（地区：A；事项：X）/);
    await signInViaPage(clerk.page, srv.origin, '/clerk.html');
    const clerkMe = await apiFromPage<{ data: { principal: Record<string, unknown> } }>(clerk.page, 'GET', '/api/auth/me');
    expect(clerkMe.status).toBe(200);
    expect(clerkMe.json.data.principal).toMatchObject({ kind: 'staff', role: 'clerk', name: '张三', regionCode: 'A', itemCodes: ['X'] });

    // The invite cannot be used twice (the page says so in Chinese).
    const reuse = await clerkCtx.newPage();
    await reuse.goto(invite.json.data.url);
    await reuse.waitForSelector('#status[data-state="error"]');
    expect(await reuse.locator('#status').textContent()).toContain('已被使用');
    await reuse.close();

    // 5. The admin revokes the clerk's passkey.
    const staff = await apiFromPage<{ data: { staff: { id: string; role: string; credentials: { credentialId: string }[] }[] } }>(admin.page, 'GET', '/api/admin/staff');
    const clerkRow = staff.json.data.staff.find((s) => s.role === 'clerk');
    expect(clerkRow?.credentials).toHaveLength(1);
    const credentialId = clerkRow!.credentials[0]!.credentialId;
    const revoke = await apiFromPage(admin.page, 'POST', `/api/admin/credentials/${credentialId}/revoke`, {});
    expect(revoke.status).toBe(200);

    // 6. The clerk's open session is rejected at once ...
    const after = await apiFromPage<{ error: { code: string; details?: { reason?: string } } }>(clerk.page, 'GET', '/api/auth/me');
    expect([after.status, after.json.error.code]).toEqual([401, 'UNAUTHENTICATED']);
    expect(after.json.error.details?.reason).toBe('AUTH_SESSION_INVALID');

    // ... and signing in again with the revoked passkey is refused with its code and a Chinese message.
    await clerk.page.goto(`${srv.origin}/login.html`);
    const verify = clerk.page.waitForResponse((r) => r.url().endsWith('/api/auth/login/verify'));
    await clerk.page.click('#login');
    const answer = (await (await verify).json()) as { ok: boolean; error: { code: string } };
    expect(answer).toMatchObject({ ok: false, error: { code: 'AUTH_CREDENTIAL_REVOKED' } });
    await clerk.page.waitForSelector('#status[data-state="error"]');
    expect(await clerk.page.locator('#status').textContent()).toContain('已被管理员停用');
    expect(clerk.page.url()).toBe(`${srv.origin}/login.html`);

    // The admin is unaffected.
    expect((await apiFromPage(admin.page, 'GET', '/api/auth/me')).status).toBe(200);
  });
});
