import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegionalNode } from '@rvw/signaling/app/RegionalNode';
import { startTestNode, type TestNode } from '../harness/testNode';
import { HUOQIU, ITEM_X, enrolStaff, openAcceptedCase } from './support/fixtures';
import { WsClient } from './support/wsClient';

// #12 F5: logging out ends that sign-in session's open sockets on every node (through the
// revocation bus), and only that session's: the same person signed in elsewhere keeps working.
describe('logout ends the session\'s sockets (F5)', () => {
  let t: TestNode;
  let b: RegionalNode;

  beforeAll(async () => {
    t = await startTestNode();
    b = await t.startSecondNode();
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('after POST /api/auth/logout the sockets of that session on both nodes get auth.revoked and close 4003; another session of the same clerk keeps answering', async () => {
    const clerk = await enrolStaff(t, { role: 'clerk', regionCode: HUOQIU, itemCodes: [ITEM_X] }, '霍邱窗口 丁');
    const otherBrowser = await clerk.newSession();
    const counter = await WsClient.connect(t.origin, `rvw_dev=${(await t.counter('wujiang-kyth-01')).cookie.value}`);
    const onA = await WsClient.connect(t.origin, clerk.cookieHeader);
    const onB = await WsClient.connect(b.url, clerk.cookieHeader);
    const elsewhere = await WsClient.connect(t.origin, otherBrowser.cookieHeader);
    const caseId = await openAcceptedCase(counter, onA, ITEM_X);
    expect((await onB.request('case.get', { caseId })).ok).toBe(true);

    const out = await clerk.api.call('POST', '/api/auth/logout', {});
    expect(out.ok).toBe(true);
    for (const socket of [onA, onB]) {
      const notice = await socket.waitFor((m) => m.type === 'auth.revoked').catch(() => undefined);
      expect(notice).toMatchObject({ type: 'auth.revoked', reason: 'session.logout' });
      expect(await socket.closed()).toBe(4003);
    }
    // The same person's other sign-in is not logged out.
    expect(elsewhere.open).toBe(true);
    expect((await elsewhere.request('case.get', { caseId })).ok).toBe(true);
    expect(counter.open).toBe(true);
    for (const c of [counter, elsewhere]) await c.close();
  });
});
