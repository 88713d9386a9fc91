import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '@rvw/signaling/auth/Principal';
import { mediaOpenIn } from '@rvw/signaling/auth/policy';
import { CaseState } from '@rvw/protocol/caseRecord';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';
import { WsClient } from '../harness/wsClient';

const counter: Principal = { kind: 'counter', counterId: 'wujiang-kyth-01', hallId: 'wujiang-xzfwzx', regionCode: '320509', name: '窗口' };
const clerk: Principal = { kind: 'staff', role: 'clerk', staffId: 'c1', name: '人员', regionCode: '341522', itemCodes: ['000117013000'] };

// Which case states may have media is the policy's decision (it was the node's, in a closure).
describe('policy: the case states that let each side into the call', () => {
  it('the counter from the queue on, the clerk once it holds the case; nobody after the case closed', () => {
    const open = (p: Principal) => CaseState.options.filter((s) => mediaOpenIn(p, s));
    expect(open(counter)).toEqual(['queued', 'in_session', 'pending_materials', 'suspended']);
    expect(open(clerk)).toEqual(['in_session', 'pending_materials', 'suspended']);
  });

  describe('at the socket edge', () => {
    let t: TestNode;
    beforeAll(async () => {
      t = await startTestNode();
    });
    afterAll(async () => {
      await t?.dispose();
    });

    it('a counter joins its waiting case’s call, and is refused with SESSION_NOT_ACTIVE once it left the queue', async () => {
      const ws = await WsClient.connect(t.origin, (await t.counter('wujiang-kyth-01')).cookie);
      const opened = await ws.request('queue.join', {
        partnershipId: 'wujiang-huoqiu',
        itemCode: '000117013000',
        applicant: { name: '赵春梅', idNumber: withCheckDigit('32058419660708222') },
      });
      const rtpCapabilities = await ws.request('getRouterRtpCapabilities', {});
      await ws.request('session.join', { sessionId: opened.id, peerId: 'counter-1', rtpCapabilities });
      await ws.request('queue.leave', { caseId: opened.id });
      await expect(ws.request('session.join', { sessionId: opened.id, peerId: 'counter-1', rtpCapabilities })).rejects.toMatchObject({ code: 'SESSION_NOT_ACTIVE' });
      ws.close();
    });
  });
});
