import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../harness/testNode';
import { HUOQIU, ITEM_CERT, ITEM_X, PARTNERSHIP, WUJIANG, applicant, enrolStaff, type EnrolledStaff } from './support/fixtures';
import { httpRequest } from './support/http';
import { WsClient } from './support/wsClient';

// Issue #12, "also observed": what a clerk who does not hold a case, and what an administrator of
// one region, may see or change.
describe('visibility and scope beyond the authorization matrix', () => {
  let t: TestNode;
  let counter: WsClient;
  let holder: WsClient;
  let other: WsClient;
  let adminWs: WsClient;
  let a320: EnrolledStaff;
  let a341: EnrolledStaff;

  const cookieOf = (c: { name: string; value: string }) => `${c.name}=${c.value}`;

  beforeAll(async () => {
    t = await startTestNode();
    const kH = await t.clerk(HUOQIU, [ITEM_X], '霍邱 钱芳');
    const kN = await t.clerk(HUOQIU, [ITEM_X], '霍邱 吴强');
    const c = await t.counter('wujiang-kyth-01');
    a320 = await enrolStaff(t, { role: 'admin', regionCodes: [WUJIANG] }, '吴江管理员');
    a341 = await enrolStaff(t, { role: 'admin', regionCodes: [HUOQIU] }, '霍邱管理员');
    counter = await WsClient.connect(t.origin, cookieOf(c.cookie));
    holder = await WsClient.connect(t.origin, cookieOf(kH.cookie));
    other = await WsClient.connect(t.origin, cookieOf(kN.cookie));
    adminWs = await WsClient.connect(t.origin, a341.cookieHeader);
  });

  afterAll(async () => {
    await Promise.all([counter, holder, other, adminWs].map((s) => s?.close()));
    await t?.dispose();
  });

  it('a clerk of the item sees a queued case to accept it, nothing once another holds it, and never its chat', async () => {
    const opened = await counter.call('queue.join', { partnershipId: PARTNERSHIP, itemCode: ITEM_X, applicant: applicant('郑秀珍') });
    // While queued: the summary, masked, to decide on accepting.
    const summary = await other.call('case.get', { caseId: opened.id });
    expect(summary).toMatchObject({ state: 'queued', applicant: { masked: true } });
    await adminWs.call('case.get', { caseId: opened.id });

    await holder.call('queue.accept', { caseId: opened.id });
    const after = await other.request('case.get', { caseId: opened.id });
    expect(after.error?.code).toBe('FORBIDDEN');

    // A bank card number said on the call reaches the two sides only.
    const text = '我的银行卡号是 6222 0212 3456 7890';
    await counter.call('chat.send', { caseId: opened.id, text });
    const heard = await holder.waitFor((m) => m.type === 'chat.message' && m.caseId === opened.id);
    expect(heard.text).toBe(text);
    await counter.waitFor((m) => m.type === 'chat.message' && m.caseId === opened.id);
    // Flush: anything sent to the others before these answers would be in their inbox by now.
    await Promise.all([other.call('ping', {}), adminWs.call('ping', {})]);
    expect(other.inbox.filter((m) => m.type === 'chat.message')).toEqual([]);
    expect(adminWs.inbox.filter((m) => m.type === 'chat.message')).toEqual([]);

    // The administrator still reads the case (masked), but not what was said on the call.
    const adminView = await adminWs.call('case.get', { caseId: opened.id });
    expect(adminView.chat).toEqual([]);
    expect(adminView.applicant.masked).toBe(true);
    const holderView = await holder.call('case.get', { caseId: opened.id });
    expect(holderView.chat.map((l) => l.text)).toEqual([text]);
  });

  it("an administrator lists only its own regions' halls and counters; the provincial one all", async () => {
    const list = async (cookie: string, kind: 'halls' | 'counters') => (await httpRequest(t.origin, 'GET', `/api/admin/${kind}`, { cookie })).json?.data as { id: string; regionCode?: string; hallId?: string }[];
    const halls = await t.node.catalog.list('hall');
    const regionOfHall = new Map(halls.map((h) => [h.id, h.regionCode]));

    const hallsOf320 = await list(a320.cookieHeader, 'halls');
    expect(hallsOf320.length).toBeGreaterThan(0);
    expect(new Set(hallsOf320.map((h) => h.regionCode))).toEqual(new Set([WUJIANG]));
    const countersOf320 = await list(a320.cookieHeader, 'counters');
    expect(countersOf320.map((c) => c.id)).toContain('wujiang-kyth-01');
    expect(new Set(countersOf320.map((c) => regionOfHall.get(c.hallId!)))).toEqual(new Set([WUJIANG]));
    const countersOf341 = await list(a341.cookieHeader, 'counters');
    expect(new Set(countersOf341.map((c) => regionOfHall.get(c.hallId!)))).toEqual(new Set([HUOQIU]));

    expect((await list(t.admin.cookieHeader, 'halls')).length).toBe(halls.length);
    expect((await list(t.admin.cookieHeader, 'counters')).length).toBe((await t.node.catalog.list('counter')).length);
  });

  it('only administrators of every region serving an item may rewrite it; a new item any administrator', async () => {
    const itemX = (await httpRequest(t.origin, 'GET', `/api/admin/items/${ITEM_X}`, { cookie: a320.cookieHeader })).json?.data as Record<string, unknown>;
    const rewritten = { ...itemX, name: '越权改写的事项名称' };
    // 霍邱 serves X: the 吴江 admin may read it, not rewrite or delete it.
    const put320 = await httpRequest(t.origin, 'PUT', `/api/admin/items/${ITEM_X}`, { cookie: a320.cookieHeader, body: rewritten });
    expect({ status: put320.status, code: put320.json?.error?.code }).toEqual({ status: 403, code: 'FORBIDDEN' });
    expect((await httpRequest(t.origin, 'DELETE', `/api/admin/items/${ITEM_X}`, { cookie: a320.cookieHeader })).status).toBe(403);
    expect((await t.node.catalog.require('item', ITEM_X)).name).toBe(itemX.name);
    const put341 = await httpRequest(t.origin, 'PUT', `/api/admin/items/${ITEM_X}`, { cookie: a341.cookieHeader, body: itemX });
    expect(put341.status, put341.text).toBe(200);

    // 参保缴费证明 is served in both directions: one region's admin alone may not change it.
    const cert = (await httpRequest(t.origin, 'GET', `/api/admin/items/${ITEM_CERT}`, { cookie: a341.cookieHeader })).json?.data as Record<string, unknown>;
    expect((await httpRequest(t.origin, 'PUT', `/api/admin/items/${ITEM_CERT}`, { cookie: a341.cookieHeader, body: cert })).status).toBe(403);
    expect((await httpRequest(t.origin, 'PUT', `/api/admin/items/${ITEM_CERT}`, { cookie: t.admin.cookieHeader, body: cert })).status).toBe(200);

    const fresh = { ...itemX, code: 'VISNEW0001', name: '新增测试事项' };
    expect((await httpRequest(t.origin, 'POST', '/api/admin/items', { cookie: a320.cookieHeader, body: fresh })).status).toBe(201);
  });
});
