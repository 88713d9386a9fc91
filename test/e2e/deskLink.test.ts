import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerNotification } from '@rvw/protocol/messages';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';
import { WsClient, WsRequestError } from '../harness/wsClient';
import { h264RtpParameters, opusRtpParameters } from '../security/support/fixtures';

// A clerk's desk linked to a call, over real sockets against a real node and two real workers
// (no browser: mediasoup accepts producers on transports nobody connected). The desk is the clerk
// page's own media session; accepting a case pipes its producers into the call's router and the
// call's into the desk's. Each side's receive transport holds receiving slots from the start, so
// the copies feed consumers negotiated long before; tracks with no slot get server-made consumers.
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
    const rtpCapabilities = await desk.request('getRouterRtpCapabilities', {});
    const deskJoin = await desk.request('desk.join', { peerId: `desk-${n}`, rtpCapabilities });
    const deskSend = await desk.request('createWebRtcTransport', { direction: 'send' });
    const deskRecv = await desk.request('createWebRtcTransport', { direction: 'recv' });
    const deskMic = await desk.request('produce', { transportId: deskSend.id, kind: 'audio', rtpParameters: opusRtpParameters(1000 + n) as never, source: 'mic' });
    const opened = await counter.request('queue.join', {
      partnershipId: 'wujiang-huoqiu',
      itemCode: '000117013000',
      applicant: { name: '周淑珍', idNumber: withCheckDigit(`3205841962010${String(1000 + n).slice(-4)}`) },
    });
    await counter.request('session.join', { sessionId: opened.id, peerId: `counter-${n}`, rtpCapabilities });
    const counterSend = await counter.request('createWebRtcTransport', { direction: 'send' });
    const counterRecv = await counter.request('createWebRtcTransport', { direction: 'recv' });
    const counterMic = await counter.request('produce', { transportId: counterSend.id, kind: 'audio', rtpParameters: opusRtpParameters(2000 + n) as never, source: 'mic' });
    return { desk, counter, rtpCapabilities, deskId: deskJoin.sessionId, deskSend, deskRecv, deskMic, caseId: opened.id, counterSend, counterRecv, counterMic, peer: `desk-${n}` };
  }

  type ProducerNew = Extract<ServerNotification, { type: 'producer.new' }>;
  const slotView = (m: Consumers) =>
    m.consumers.map((c) => ({ source: c.source, kind: c.kind, peerId: c.peerId, slot: c.slot })).sort((a, b) => a.source.localeCompare(b.source));
  const copyIn = (sessionId: string, source: string) => (m: ServerNotification) =>
    m.type === 'producer.new' && m.sessionId === sessionId && m.producer.source === source;
  /**
   * Waits for the `consumers.new` of `sessionId` that `pred` picks (leaving it in place) and
   * checks the client heard that its idle slot `slotId` was closed before it; returns it.
   */
  async function announcedAfterSlotClosed(client: WsClient, sessionId: string, slotId: string, pred: (c: Consumers['consumers'][number]) => boolean): Promise<Consumers> {
    const matches = (m: ServerNotification) => isConsumers(sessionId)(m) && (m as Consumers).consumers.some(pred);
    await expect.poll(() => client.notifications.some(matches), { timeout: 15_000 }).toBe(true);
    const announced = client.notifications.find(matches) as Consumers;
    const order = client.notifications.map((m) => (m.type === 'consumer.closed' && m.consumerId === slotId ? 'slot closed' : m === announced ? 'consumer' : undefined)).filter(Boolean);
    expect(order).toEqual(['slot closed', 'consumer']);
    return announced;
  }

  it('while queued each side holds receiving slots; accepting feeds them with copies of the other side’s tracks, with no new consumer', async () => {
    const w = await deskAndQueuedCase();
    expect(w.deskId).toMatch(new RegExp(`^desk:${clerk.staffId}:desk-${n}$`));
    expect(w.deskRecv.sctpParameters).toBeDefined();
    // Before any link each receive transport gets its slots, empty: the counter's for the clerk's
    // face and microphone, the desk's for an applicant's face, document camera and microphone.
    const counterSlots = (await w.counter.next(isConsumers(w.caseId))) as Consumers;
    expect(counterSlots.transportId).toBe(w.counterRecv.id);
    expect(slotView(counterSlots)).toEqual([
      { source: 'face', kind: 'video', peerId: '', slot: true },
      { source: 'mic', kind: 'audio', peerId: '', slot: true },
    ]);
    const deskSlots = (await w.desk.next(isConsumers(w.deskId))) as Consumers;
    expect(deskSlots.transportId).toBe(w.deskRecv.id);
    expect(slotView(deskSlots).map((c) => c.source)).toEqual(['document', 'face', 'mic']);
    const call = t.node.registry.get(w.caseId)!;
    const desk = t.node.registry.get(w.deskId)!;
    expect(call.idleSlots()).toEqual(['face', 'mic']);
    expect(desk.idleSlots()).toEqual(['document', 'face', 'mic']);

    await w.desk.request('queue.accept', { caseId: w.caseId });
    // The clerk's microphone now feeds the counter's mic slot: the slot's producer has become the
    // copy (announced as the clerk's), in the call's own router, not the desk's producer itself.
    const micSlot = counterSlots.consumers.find((c) => c.source === 'mic')!;
    const toCounter = (await w.counter.next(copyIn(w.caseId, 'mic'))) as ProducerNew;
    expect(toCounter.producer).toEqual({ producerId: micSlot.producerId, peerId: w.peer, kind: 'audio', source: 'mic' });
    expect(micSlot.producerId).not.toBe(w.deskMic.producerId);
    const toDesk = (await w.desk.next(copyIn(w.deskId, 'mic'))) as ProducerNew;
    expect(toDesk.producer).toEqual({ producerId: deskSlots.consumers.find((c) => c.source === 'mic')!.producerId, peerId: `counter-${n}`, kind: 'audio', source: 'mic' });
    await w.counter.next((m) => m.type === 'peer.joined' && m.sessionId === w.caseId && m.peerId === w.peer && m.role === 'clerk');
    expect(call.hasCopyOf(w.deskMic.producerId)).toBe(true);
    expect(desk.hasCopyOf(w.counterMic.producerId)).toBe(true);
    // No renegotiation: nothing new to consume on either side, and only unmatched slots stay idle.
    await new Promise((r) => setTimeout(r, 200));
    expect(w.counter.notifications.filter(isConsumers(w.caseId))).toEqual([]);
    expect(w.desk.notifications.filter(isConsumers(w.deskId))).toEqual([]);
    expect(call.idleSlots()).toEqual(['face']);
    expect(desk.idleSlots()).toEqual(['document', 'face']);
    expect(call.counts()).toEqual({ peers: 2, transports: 2, producers: 2, consumers: 2 });
    expect(desk.counts()).toEqual({ peers: 2, transports: 2, producers: 2, consumers: 3 });
    expect(desk.workerPid).not.toBe(call.workerPid);
    // Each consumer belongs to its own side: resuming the other side's is an unknown id.
    await w.counter.request('resumeConsumer', { consumerId: micSlot.id });
    await expect(w.desk.request('resumeConsumer', { consumerId: micSlot.id })).rejects.toMatchObject({ code: 'CONSUMER_NOT_FOUND' });

    // A track with no slot (the screen share, started mid-call) is piped across and the server
    // makes its consumer; stopping it removes the copy.
    const screen = await w.desk.request('produce', {
      transportId: w.deskSend.id,
      kind: 'audio',
      rtpParameters: opusRtpParameters(3000 + n) as never,
      source: 'screen',
    });
    const shared = (await w.counter.next((m) => isConsumers(w.caseId)(m) && (m as Consumers).consumers.some((c) => c.source === 'screen'))) as Consumers;
    expect(shared.consumers).toMatchObject([{ peerId: w.peer, source: 'screen' }]);
    expect(shared.consumers[0]!.slot).toBeUndefined();
    const copyId = shared.consumers[0]!.producerId;
    await w.desk.request('closeProducer', { producerId: screen.producerId });
    await w.counter.next((m) => m.type === 'producer.closed' && m.producerId === copyId);
    expect(call.counts().producers).toBe(2);

    // Hanging up from the desk ends the call for both; the desk stays, without the counter's copy
    // (its used slot goes with it; the browser desk renews its transports, and slots, after a call).
    await w.desk.request('session.end', {});
    await w.counter.next((m) => m.type === 'session.ended' && m.sessionId === w.caseId);
    await w.desk.next((m) => m.type === 'session.ended' && m.sessionId === w.caseId);
    expect(t.node.registry.get(w.caseId)).toBeUndefined();
    await expect.poll(() => desk.counts(), { timeout: 15_000 }).toEqual({ peers: 1, transports: 2, producers: 1, consumers: 2 });
    expect(desk.idleSlots()).toEqual(['document', 'face']);
    expect(t.node.hub.linkedTo(w.caseId)).toEqual([]);
    w.desk.close();
    w.counter.close();
  });

  it('a track that arrives another way closes the idle slot of its source first, so a receiver never holds both', async () => {
    const w = await deskAndQueuedCase();
    const counterSlots = (await w.counter.next(isConsumers(w.caseId))) as Consumers;
    const micSlot = counterSlots.consumers.find((c) => c.source === 'mic')!;
    // The clerk accepts on a plain socket and joins the call itself (no desk): its microphone is
    // produced in the call's router, not fed through the slot.
    const plain = await WsClient.connect(t.origin, clerk.cookie);
    await plain.request('queue.accept', { caseId: w.caseId });
    await plain.request('session.join', { sessionId: w.caseId, peerId: `direct-${n}`, rtpCapabilities: w.rtpCapabilities });
    const send = await plain.request('createWebRtcTransport', { direction: 'send' });
    await plain.request('produce', { transportId: send.id, kind: 'audio', rtpParameters: opusRtpParameters(4000 + n) as never, source: 'mic' });
    const direct = await announcedAfterSlotClosed(w.counter, w.caseId, micSlot.id, (c) => c.peerId === `direct-${n}`);
    expect(direct.consumers).toMatchObject([{ source: 'mic', peerId: `direct-${n}` }]);
    expect(t.node.registry.get(w.caseId)!.idleSlots()).toEqual(['face']);
    await plain.request('session.end', {});
    plain.close();
    w.desk.close();
    w.counter.close();
  });

  it('a track in another codec than its slot’s is piped and consumed the old way; the idle slot is closed first', async () => {
    const w = await deskAndQueuedCase();
    const deskSlots = (await w.desk.next(isConsumers(w.deskId))) as Consumers;
    const faceSlot = deskSlots.consumers.find((c) => c.source === 'face')!;
    expect((faceSlot.rtpParameters as { codecs: { mimeType: string }[] }).codecs[0]!.mimeType).toBe('video/VP8');
    // A terminal whose camera encodes H264 in hardware: the desk's VP8 face slot cannot carry it.
    // (The counter's slots are announced on their own; wait for them before counting.)
    await w.counter.next(isConsumers(w.caseId));
    expect(t.node.registry.get(w.caseId)!.idleSlots()).toEqual(['face', 'mic']);
    await w.counter.request('produce', { transportId: w.counterSend.id, kind: 'video', rtpParameters: h264RtpParameters(5000 + n) as never, source: 'face' });
    await w.desk.request('queue.accept', { caseId: w.caseId });
    const face = await announcedAfterSlotClosed(w.desk, w.deskId, faceSlot.id, (c) => c.source === 'face');
    expect(face.consumers).toMatchObject([{ source: 'face', kind: 'video', peerId: `counter-${n}` }]);
    expect(face.consumers[0]!.slot).toBeUndefined();
    expect((face.consumers[0]!.rtpParameters as { codecs: { mimeType: string }[] }).codecs[0]!.mimeType).toBe('video/H264');
    // The microphone (Opus, as its slot) still went through its slot; only the document slot idles.
    // (The mic's copy is piped on its own, not before the face's announcement: wait for it.)
    const micIn = (await w.desk.next(copyIn(w.deskId, 'mic'))) as ProducerNew;
    expect(micIn.producer.producerId).toBe(deskSlots.consumers.find((c) => c.source === 'mic')!.producerId);
    await expect.poll(() => t.node.registry.get(w.deskId)!.idleSlots(), { timeout: 15_000 }).toEqual(['document']);
    await w.desk.request('session.end', {});
    w.desk.close();
    w.counter.close();
  });

  it('a desk that vanishes takes the clerk out of the call after the grace period; the counter is told and loses the copies', async () => {
    const w = await deskAndQueuedCase();
    await w.desk.request('queue.accept', { caseId: w.caseId });
    const toCounter = (await w.counter.next(copyIn(w.caseId, 'mic'))) as ProducerNew;
    const closedAt = Date.now();
    w.desk.socket.terminate();
    await new Promise((r) => setTimeout(r, 1000));
    expect(w.counter.notifications.some((m) => m.type === 'peer.left')).toBe(false);
    // The 3 s grace timer must fire; under CI load it may fire late (the lower bound is the claim).
    const left = await w.counter.next((m) => m.type === 'peer.left', 15_000);
    expect(left).toMatchObject({ sessionId: w.caseId, peerId: w.peer, reason: 'timeout' });
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(2900);
    await w.counter.next((m) => m.type === 'producer.closed' && m.producerId === toCounter.producer.producerId);
    // The copy's closing is announced as the desk session goes, not necessarily after it is gone.
    await expect.poll(() => t.node.registry.get(w.deskId), { timeout: 15_000 }).toBeUndefined();
    // The counter keeps its own microphone and its face slot (the used mic slot went with the copy).
    await expect.poll(() => t.node.registry.get(w.caseId)?.counts(), { timeout: 15_000 }).toEqual({ peers: 1, transports: 2, producers: 1, consumers: 1 });
    expect(t.node.registry.get(w.caseId)!.idleSlots()).toEqual(['face']);
    w.counter.close();
  });

  it('a desk back within the grace period is still linked: the same transports, its consumers announced again, and it can hang up', async () => {
    const w = await deskAndQueuedCase();
    const first = (await w.desk.next(isConsumers(w.deskId))) as Consumers;
    await w.desk.request('queue.accept', { caseId: w.caseId });
    await w.desk.next(copyIn(w.deskId, 'mic'));
    w.desk.socket.terminate();
    await new Promise((r) => setTimeout(r, 300));
    const back = await WsClient.connect(t.origin, clerk.cookie);
    const again = back.next(isConsumers(w.deskId));
    const answer = await back.request('desk.join', {
      peerId: w.peer,
      resumeTransportIds: [w.deskSend.id, w.deskRecv.id],
      rtpCapabilities: w.rtpCapabilities,
    });
    expect(answer.resumed).toBe(true);
    // The same consumers (the slots, one of them fed by now, with its peer named), no new ones.
    const announced = ((await again) as Consumers).consumers;
    expect(announced.map((c) => c.id).sort()).toEqual(first.consumers.map((c) => c.id).sort());
    expect(announced.find((c) => c.source === 'mic')).toMatchObject({ peerId: `counter-${n}` });
    expect(announced.find((c) => c.source === 'face')).toMatchObject({ peerId: '', slot: true });
    await new Promise((r) => setTimeout(r, 3500));
    expect(w.counter.notifications.some((m) => m.type === 'peer.left')).toBe(false);
    await back.request('session.end', {});
    await w.counter.next((m) => m.type === 'session.ended' && m.sessionId === w.caseId);
    back.close();
    w.counter.close();
  });

  it('a receive transport opens its data channel; a send transport has none; linking needs a desk', async () => {
    const w = await deskAndQueuedCase();
    const channel = await w.desk.request('openDataChannel', { transportId: w.deskRecv.id });
    expect(channel).toMatchObject({ label: 'rvw', protocol: 'rvw-session' });
    expect((channel.sctpStreamParameters as { streamId: number }).streamId).toBeGreaterThanOrEqual(0);
    await expect(w.desk.request('openDataChannel', { transportId: w.deskSend.id })).rejects.toMatchObject({ code: 'NO_DATA_CHANNEL' });
    // The clerk accepts on a plain socket (no desk): the case is theirs, but there is no desk to link.
    const plain = await WsClient.connect(t.origin, clerk.cookie);
    await plain.request('queue.accept', { caseId: w.caseId });
    const refused = await plain.request('session.link', { sessionId: w.caseId }).catch((e: WsRequestError) => e);
    expect(refused).toBeInstanceOf(WsRequestError);
    expect((refused as WsRequestError).code).toBe('NOT_IN_SESSION');
    // The desk socket (same clerk) can link the case it now holds.
    const linked = await w.desk.request('session.link', { sessionId: w.caseId });
    expect(linked).toEqual({ sessionId: w.caseId, peers: [{ peerId: `counter-${n}`, role: 'counter' }] });
    await w.desk.request('session.end', {});
    plain.close();
    w.desk.close();
    w.counter.close();
  });
});
