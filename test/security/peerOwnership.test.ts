import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../harness/testNode';
import { HUOQIU, ITEM_X, openAcceptedCase, opusRtpParameters } from './support/fixtures';
import { WsClient } from './support/wsClient';

// #12 F6: a peer id belongs to the principal that first used it in a session. The counter can
// read the clerk's peer id from `peers[]`; joining with it must not evict the clerk.
describe('peer ids are owned by their principal (F6)', () => {
  let t: TestNode;
  let counterCookie: string;
  let clerkCookie: string;

  beforeAll(async () => {
    t = await startTestNode();
    counterCookie = `rvw_dev=${(await t.counter('wujiang-kyth-01')).cookie.value}`;
    clerkCookie = `rvw_sid=${(await t.clerk(HUOQIU, [ITEM_X], '霍邱窗口 丙')).cookie.value}`;
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it("the counter joining with the clerk's peer id is refused PEER_NOT_OWNED; the clerk keeps its socket and media", async () => {
    const counter = await WsClient.connect(t.origin, counterCookie);
    const clerk = await WsClient.connect(t.origin, clerkCookie);
    const caseId = await openAcceptedCase(counter, clerk, ITEM_X);
    await clerk.call('session.join', { sessionId: caseId, peerId: 'clerk-1' });
    const send = await clerk.call('createWebRtcTransport', { direction: 'send' });
    await clerk.call('produce', { transportId: send.id, kind: 'audio', rtpParameters: opusRtpParameters(5151), source: 'mic' });
    const joined = await counter.call('session.join', { sessionId: caseId, peerId: 'counter-1' });
    expect(joined.peers.map((p) => p.peerId)).toEqual(['clerk-1']);

    const hijack = await counter.request('session.join', { sessionId: caseId, peerId: 'clerk-1' });
    expect(hijack.ok).toBe(false);
    expect(hijack.error?.code).toBe('PEER_NOT_OWNED');
    expect(hijack.error?.message).toMatch(/其他用户/);
    await new Promise((r) => setTimeout(r, 200));
    expect(clerk.open).toBe(true);
    expect(clerk.closeCode).toBeUndefined();
    expect(t.node.registry.get(caseId)?.ownProducers().map((p) => p.peerId)).toEqual(['clerk-1']);
    expect((await clerk.request('ping')).ok).toBe(true);
    // The refused join left the counter where it was (still its own peer in the call).
    expect((await counter.request('createWebRtcTransport', { direction: 'recv' })).ok).toBe(true);

    // The same principal on a new socket (a reload) still takes its peer back, media untouched.
    const reloaded = await WsClient.connect(t.origin, clerkCookie);
    const resumed = await reloaded.call('session.join', { sessionId: caseId, peerId: 'clerk-1', resumeTransportIds: [send.id] });
    expect(resumed.resumed).toBe(true);
    expect(await clerk.closed()).toBe(4001);
    expect(t.node.registry.get(caseId)?.ownProducers().map((p) => p.peerId)).toEqual(['clerk-1']);
    for (const c of [counter, reloaded]) await c.close();
  });
});
