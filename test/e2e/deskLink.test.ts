import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerNotification } from '../../signaling/src/protocol';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';
import { WsClient, WsRequestError } from '../harness/wsClient';
import { opusRtpParameters } from '../security/support/fixtures';

// A clerk's desk linked to a call, over real sockets against a real node and two real workers
// (no browser: mediasoup accepts producers on transports nobody connected). The desk is the clerk
// page's own media session; accepting a case pipes its producers into the call's router and the
// call's into the desk's, and the server makes each side's consumers itself (consumers.new).
describe('a clerk desk linked to a call', () => {
  let t: TestNode;
  let clerk: Awaited<ReturnType<TestNode['clerk']>>;
  let counterCookie: { name: string; value: string };
  let n = 0;

  beforeAll(async () => {
    t = await startTestNode({ env: { RVW_SFU_WORKERS: '2' } });
    clerk = await t.clerk('341522', ['000117013000'], '霍邱 孙丽');
    counterCookie = (await t.counter('wujiang-kyth-01')).cookie;
  });
  afterAll(async () => t?.dispose());

  type Consumers = Extract<ServerNotification, { type: 'consumers.new' }>;
  const isConsumers = (sessionId: string) => (m: ServerNotification) => m.type === 'consumers.new' && m.sessionId === sessionId;

  /** A clerk at its desk (mic produced) and a counter whose case waits in the queue (mic produced). */
  async function deskAndQueuedCase() {
    n++;
    const desk = await WsClient.connect(t.origin, clerk.cookie);
    const counter = await WsClient.connect(t.origin, counterCookie);
    const rtpCapabilities = await desk.request<'getRouterRtpCapabilities', Record<string, unknown>>('getRouterRtpCapabilities', {});
    const deskJoin = await desk.request<'desk.join', { sessionId: string; resumed: boolean }>('desk.join', { peerId: `desk-${n}`, rtpCapabilities });
    const deskSend = await desk.request<'createWebRtcTransport', { id: string }>('createWebRtcTransport', { direction: 'send' });
    const deskRecv = await desk.request<'createWebRtcTransport', { id: string; sctpParameters?: unknown }>('createWebRtcTransport', { direction: 'recv' });
    const deskMic = await desk.request<'produce', { producerId: string }>('produce', { transportId: deskSend.id, kind: 'audio', rtpParameters: opusRtpParameters(1000 + n) as never, source: 'mic' });
    const opened = await counter.request<'queue.join', { id: string }>('queue.join', {
      partnershipId: 'wujiang-huoqiu',
      itemCode: '000117013000',
      applicant: { name: '周淑珍', idNumber: withCheckDigit(`3205841962010${String(1000 + n).slice(-4)}`) },
    });
    await counter.request('session.join', { sessionId: opened.id, peerId: `counter-${n}`, rtpCapabilities });
    const counterSend = await counter.request<'createWebRtcTransport', { id: string }>('createWebRtcTransport', { direction: 'send' });
    const counterRecv = await counter.request<'createWebRtcTransport', { id: string }>('createWebRtcTransport', { direction: 'recv' });
    const counterMic = await counter.request<'produce', { producerId: string }>('produce', { transportId: counterSend.id, kind: 'audio', rtpParameters: opusRtpParameters(2000 + n) as never, source: 'mic' });
    return { desk, counter, rtpCapabilities, deskId: deskJoin.sessionId, deskSend, deskRecv, deskMic, caseId: opened.id, counterRecv, counterMic, peer: `desk-${n}` };
  }

  it('accepting from the desk links it: each side gets a server-made consumer of a copy of the other side’s track', async () => {
    const w = await deskAndQueuedCase();
    expect(w.deskId).toMatch(new RegExp(`^desk:${clerk.staffId}:desk-${n}$`));
    expect(w.deskRecv.sctpParameters).toBeDefined();
    // While queued, nothing of the clerk reaches the counter and nothing of the counter the desk.
    await new Promise((r) => setTimeout(r, 200));
    expect(w.counter.notifications.filter(isConsumers(w.caseId))).toEqual([]);
    expect(w.desk.notifications.filter(isConsumers(w.deskId))).toEqual([]);

    await w.desk.request('queue.accept', { caseId: w.caseId });
    const toCounter = (await w.counter.next(isConsumers(w.caseId))) as Consumers;
    expect(toCounter).toMatchObject({ transportId: w.counterRecv.id, consumers: [{ peerId: w.peer, source: 'mic', kind: 'audio' }] });
    // A copy in the call's own router, not the desk's producer itself.
    expect(toCounter.consumers[0]!.producerId).not.toBe(w.deskMic.producerId);
    const toDesk = (await w.desk.next(isConsumers(w.deskId))) as Consumers;
    expect(toDesk).toMatchObject({ transportId: w.deskRecv.id, consumers: [{ peerId: `counter-${n}`, source: 'mic', kind: 'audio' }] });
    expect(toDesk.consumers[0]!.producerId).not.toBe(w.counterMic.producerId);
    await w.counter.next((m) => m.type === 'peer.joined' && m.sessionId === w.caseId && m.peerId === w.peer && m.role === 'clerk');

    const call = t.node.registry.get(w.caseId)!;
    const desk = t.node.registry.get(w.deskId)!;
    expect(call.counts()).toEqual({ peers: 2, transports: 2, producers: 2, consumers: 1 });
    expect(desk.counts()).toEqual({ peers: 2, transports: 2, producers: 2, consumers: 1 });
    expect(desk.workerPid).not.toBe(call.workerPid);
    // Each consumer belongs to its own side: resuming the other side's is an unknown id.
    await w.counter.request('resumeConsumer', { consumerId: toCounter.consumers[0]!.id });
    await expect(w.desk.request('resumeConsumer', { consumerId: toCounter.consumers[0]!.id })).rejects.toMatchObject({ code: 'CONSUMER_NOT_FOUND' });

    // A track started mid-call (the screen share) crosses too; stopping it removes the copy.
    const screen = await w.desk.request<'produce', { producerId: string }>('produce', {
      transportId: w.deskSend.id,
      kind: 'audio',
      rtpParameters: opusRtpParameters(3000 + n) as never,
      source: 'screen',
    });
    const shared = (await w.counter.next((m) => isConsumers(w.caseId)(m) && (m as Consumers).consumers.some((c) => c.source === 'screen'))) as Consumers;
    const copyId = shared.consumers[0]!.producerId;
    await w.desk.request('closeProducer', { producerId: screen.producerId });
    await w.counter.next((m) => m.type === 'producer.closed' && m.producerId === copyId);
    expect(call.counts().producers).toBe(2);

    // Hanging up from the desk ends the call for both; the desk stays, without the counter's copy.
    await w.desk.request('session.end', {});
    await w.counter.next((m) => m.type === 'session.ended' && m.sessionId === w.caseId);
    await w.desk.next((m) => m.type === 'session.ended' && m.sessionId === w.caseId);
    expect(t.node.registry.get(w.caseId)).toBeUndefined();
    await expect.poll(() => desk.counts()).toEqual({ peers: 1, transports: 2, producers: 1, consumers: 0 });
    expect(t.node.hub.linkedTo(w.caseId)).toEqual([]);
    w.desk.close();
    w.counter.close();
  });

  it('a desk that vanishes takes the clerk out of the call after the grace period; the counter is told and loses the copies', async () => {
    const w = await deskAndQueuedCase();
    await w.desk.request('queue.accept', { caseId: w.caseId });
    const toCounter = (await w.counter.next(isConsumers(w.caseId))) as Consumers;
    const closedAt = Date.now();
    w.desk.socket.terminate();
    await new Promise((r) => setTimeout(r, 1000));
    expect(w.counter.notifications.some((m) => m.type === 'peer.left')).toBe(false);
    const left = await w.counter.next((m) => m.type === 'peer.left', 8000);
    expect(left).toMatchObject({ sessionId: w.caseId, peerId: w.peer, reason: 'timeout' });
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(2900);
    await w.counter.next((m) => m.type === 'producer.closed' && m.producerId === toCounter.consumers[0]!.producerId);
    expect(t.node.registry.get(w.deskId)).toBeUndefined();
    await expect.poll(() => t.node.registry.get(w.caseId)?.counts()).toEqual({ peers: 1, transports: 2, producers: 1, consumers: 0 });
    w.counter.close();
  });

  it('a desk back within the grace period is still linked: the same transports, its consumers announced again, and it can hang up', async () => {
    const w = await deskAndQueuedCase();
    await w.desk.request('queue.accept', { caseId: w.caseId });
    const first = (await w.desk.next(isConsumers(w.deskId))) as Consumers;
    w.desk.socket.terminate();
    await new Promise((r) => setTimeout(r, 300));
    const back = await WsClient.connect(t.origin, clerk.cookie);
    const again = back.next(isConsumers(w.deskId));
    const answer = await back.request<'desk.join', { resumed: boolean }>('desk.join', {
      peerId: w.peer,
      resumeTransportIds: [w.deskSend.id, w.deskRecv.id],
      rtpCapabilities: w.rtpCapabilities,
    });
    expect(answer.resumed).toBe(true);
    expect(((await again) as Consumers).consumers.map((c) => c.id)).toEqual(first.consumers.map((c) => c.id));
    await new Promise((r) => setTimeout(r, 3500));
    expect(w.counter.notifications.some((m) => m.type === 'peer.left')).toBe(false);
    await back.request('session.end', {});
    await w.counter.next((m) => m.type === 'session.ended' && m.sessionId === w.caseId);
    back.close();
    w.counter.close();
  });

  it('a receive transport opens its data channel; a send transport has none; linking needs a desk', async () => {
    const w = await deskAndQueuedCase();
    const channel = await w.desk.request<'openDataChannel', { dataProducerId: string; label: string; sctpStreamParameters: { streamId: number } }>('openDataChannel', { transportId: w.deskRecv.id });
    expect(channel).toMatchObject({ label: 'rvw', protocol: 'rvw-session' });
    expect(channel.sctpStreamParameters.streamId).toBeGreaterThanOrEqual(0);
    await expect(w.desk.request('openDataChannel', { transportId: w.deskSend.id })).rejects.toMatchObject({ code: 'NO_DATA_CHANNEL' });
    // The clerk accepts on a plain socket (no desk): the case is theirs, but there is no desk to link.
    const plain = await WsClient.connect(t.origin, clerk.cookie);
    await plain.request('queue.accept', { caseId: w.caseId });
    const refused = await plain.request('session.link', { sessionId: w.caseId }).catch((e: WsRequestError) => e);
    expect(refused).toBeInstanceOf(WsRequestError);
    expect((refused as WsRequestError).code).toBe('NOT_IN_SESSION');
    // The desk socket (same clerk) can link the case it now holds.
    const linked = await w.desk.request<'session.link', { sessionId: string; peers: { peerId: string }[] }>('session.link', { sessionId: w.caseId });
    expect(linked).toEqual({ sessionId: w.caseId, peers: [{ peerId: `counter-${n}`, role: 'counter' }] });
    await w.desk.request('session.end', {});
    plain.close();
    w.desk.close();
    w.counter.close();
  });
});
