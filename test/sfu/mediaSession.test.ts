// MediaSession's parts on a real mediasoup worker pool, without signaling: receiving slots,
// server-made consumers (push), piping between two sessions of one node (a clerk's desk and a
// call), and a peer that is only there through pipes. mediasoup accepts producers on transports
// nobody connected, so no browser is needed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { types } from 'mediasoup';
import { MediaSession, WorkerPool, type ConsumerParams, type ProducerInfo } from '@rvw/sfu';

const LISTEN = { listenIp: '127.0.0.1', minPort: 46000, maxPort: 46999 };

function opus(ssrc: number): types.RtpParameters {
  return {
    codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2, parameters: { useinbandfec: 1 }, rtcpFeedback: [] }],
    headerExtensions: [],
    encodings: [{ ssrc }],
    rtcp: { cname: `cname-${ssrc}`, reducedSize: true },
  };
}

function vp8(ssrc: number): types.RtpParameters {
  return {
    codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000, parameters: {}, rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }] }],
    headerExtensions: [],
    encodings: [{ ssrc }],
    rtcp: { cname: `cname-${ssrc}`, reducedSize: true },
  };
}

/** Everything a session tells its owner, in order. */
function record(session: MediaSession) {
  const log = {
    producernew: [] as ProducerInfo[],
    producerclosed: [] as ProducerInfo[],
    consumernew: [] as { peerId: string; consumers: ConsumerParams[]; transportId: string }[],
    consumerclosed: [] as { peerId: string; consumerId: string }[],
    copystaged: [] as ProducerInfo[],
    order: [] as string[],
  };
  session.on('copystaged', (p) => log.copystaged.push(p));
  session.on('producernew', (p) => (log.producernew.push(p), log.order.push(`producernew:${p.source}`)));
  session.on('producerclosed', (p) => (log.producerclosed.push(p), log.order.push(`producerclosed:${p.source}`)));
  session.on('consumernew', (peerId, consumers, transportId) => (log.consumernew.push({ peerId, consumers, transportId }), log.order.push('consumernew')));
  session.on('consumerclosed', (peerId, consumerId) => (log.consumerclosed.push({ peerId, consumerId }), log.order.push('consumerclosed')));
  return log;
}

/** Waits for an event of the worker; generous, as the worker may be starved on a loaded CI machine. */
async function until(check: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('MediaSession: slots, server-made consumers and pipes between sessions', () => {
  let pool: WorkerPool;
  let n = 0;

  beforeAll(async () => {
    pool = await WorkerPool.create({ numWorkers: 2 });
  });
  afterAll(() => pool?.close());

  const session = (prefix: string) => MediaSession.create({ sessionId: `${prefix}-${++n}`, pool, listen: LISTEN });

  it('a push peer with slots gets a paused consumer per source nobody sends, in one batch on its receive transport; a track of that source closes the idle slot first', async () => {
    const desk = await session('desk');
    const log = record(desk);
    desk.enablePush('clerk', desk.rtpCapabilities, { slots: ['face', 'document', 'mic'] });
    const recv = await desk.createWebRtcTransport('clerk', 'recv');
    await until(() => log.consumernew.length === 1);
    const batch = log.consumernew[0]!;
    expect(batch.peerId).toBe('clerk');
    expect(batch.transportId).toBe(recv.id);
    // Pictures first, each a slot with no peer yet.
    expect(batch.consumers.map((c) => [c.kind, c.slot, c.peerId])).toEqual([
      ['video', true, ''],
      ['video', true, ''],
      ['audio', true, ''],
    ]);
    expect(batch.consumers.map((c) => c.source).sort()).toEqual(['document', 'face', 'mic']);
    expect(desk.idleSlots()).toEqual(['document', 'face', 'mic']);
    // Slots are not producers of anyone: nothing to list, nothing to pipe.
    expect(desk.listProducers()).toEqual([]);
    expect(desk.counts()).toEqual({ peers: 1, transports: 1, producers: 0, consumers: 3 });

    // Another peer sends a microphone into this session: the idle mic slot goes, its receiver is
    // told before the new producer is announced, and the real track is consumed instead.
    const send = await desk.createWebRtcTransport('visitor', 'send');
    const mic = await desk.produce('visitor', send.id, 'audio', opus(1111), 'mic');
    const micSlot = batch.consumers.find((c) => c.source === 'mic')!;
    expect(log.consumerclosed).toEqual([{ peerId: 'clerk', consumerId: micSlot.id }]);
    expect(log.order.slice(-2)).toEqual(['consumerclosed', 'producernew:mic']);
    expect(desk.idleSlots()).toEqual(['document', 'face']);
    await until(() => log.consumernew.length === 2);
    expect(log.consumernew[1]!.consumers).toMatchObject([{ producerId: mic, peerId: 'visitor', source: 'mic', kind: 'audio' }]);
    expect(log.consumernew[1]!.consumers[0]!.slot).toBeUndefined();
    // One track per source and peer, also when asked twice.
    await expect(desk.produce('visitor', send.id, 'audio', opus(1112), 'mic')).rejects.toMatchObject({ code: 'DUPLICATE_SOURCE' });
    desk.close();
    expect(desk.counts()).toEqual({ peers: 0, transports: 0, producers: 0, consumers: 0 });
  });

  it('piping: a track fills the other session’s idle slot (no new consumer); one with no slot is piped over a pair and consumed by the server; copies close with their original', async () => {
    const call = await session('case');
    const desk = await session('desk');
    const deskLog = record(desk);
    desk.enablePush('clerk', desk.rtpCapabilities, { slots: ['face', 'mic'] });
    await desk.createWebRtcTransport('clerk', 'recv');
    await until(() => deskLog.consumernew.length === 1);
    const micSlot = deskLog.consumernew[0]!.consumers.find((c) => c.source === 'mic')!;

    const send = await call.createWebRtcTransport('counter', 'send');
    const mic = await call.produce('counter', send.id, 'audio', opus(2221), 'mic');
    await call.pipeProducerTo(mic, desk);
    // The slot's producer became the copy: announced as the counter's, under the slot's id.
    expect(deskLog.producernew).toEqual([{ producerId: micSlot.producerId, peerId: 'counter', kind: 'audio', source: 'mic' }]);
    expect(desk.hasCopyOf(mic)).toBe(true);
    expect(desk.idleSlots()).toEqual(['face']);
    expect(desk.isOwnProducer(micSlot.producerId)).toBe(false);
    expect(desk.ownProducers()).toEqual([]);
    // Piping again is a no-op; a copy is never piped on.
    await call.pipeProducerTo(mic, desk);
    expect(deskLog.producernew).toHaveLength(1);
    await expect(desk.pipeProducerTo(micSlot.producerId, call)).rejects.toMatchObject({ code: 'PRODUCER_NOT_FOUND' });
    await desk.pushConsumers('clerk');
    expect(deskLog.consumernew).toHaveLength(1);

    // No slot for a screen share: a copy over a PipeTransport pair, with an id of its own, which
    // the server consumes for the push peer.
    const screen = await call.produce('counter', send.id, 'audio', opus(2222), 'screen');
    await call.pipeProducerTo(screen, desk);
    const copy = deskLog.producernew.find((p) => p.source === 'screen')!;
    expect(copy).toMatchObject({ peerId: 'counter', kind: 'audio' });
    expect(copy.producerId).not.toBe(screen);
    await desk.pushConsumers('clerk');
    expect(deskLog.consumernew[1]!.consumers).toMatchObject([{ producerId: copy.producerId, peerId: 'counter', source: 'screen' }]);
    expect(desk.counts()).toEqual({ peers: 2, transports: 1, producers: 2, consumers: 3 });

    // Stopping the original stops the copy, and the clerk's consumer of it.
    call.closeProducer('counter', screen);
    await until(() => deskLog.producerclosed.some((p) => p.producerId === copy.producerId));
    expect(deskLog.consumerclosed.map((c) => c.peerId)).toEqual(['clerk']);
    expect(desk.hasCopyOf(screen)).toBe(false);

    // The call goes: the counter is in the desk only through its copies, so it goes with the last.
    call.close();
    await until(() => desk.counts().peers === 1);
    expect(desk.counts()).toEqual({ peers: 1, transports: 1, producers: 0, consumers: 2 });
    expect(desk.hasPeer('counter')).toBe(false);
    desk.close();
  });

  it('across nodes: an import fills the waiting counter’s idle slot (no new consumer, not exported back); if the slot goes first the import is consumed directly; it closes with its original', async () => {
    // Two routers of one call as two nodes hold them, joined by a RegionPipe pair on loopback.
    const onA = await session('case');
    const onB = await session('case');
    const aLog = record(onA);
    onA.enablePush('counter', onA.rtpCapabilities, { slots: ['face', 'mic'] });
    await onA.createWebRtcTransport('counter', 'recv');
    await until(() => aLog.consumernew.length === 1);
    const micSlot = aLog.consumernew[0]!.consumers.find((c) => c.source === 'mic')!;
    const [pipeA, pipeB] = await Promise.all([onA.openRegionPipe({ listenIp: '127.0.0.1' }), onB.openRegionPipe({ listenIp: '127.0.0.1' })]);
    await Promise.all([pipeA.connect(pipeB.local), pipeB.connect(pipeA.local)]);
    // Opening the pipe opened the feed into the counter's slots (one port), ahead of any import;
    // the node that waits for nobody opened none.
    await until(() => onA.slotFeeds === 1);
    expect(onB.slotFeeds).toBe(0);

    const clerkSend = await onB.createWebRtcTransport('clerk', 'send');
    const clerkMic = await onB.produce('clerk', clerkSend.id, 'audio', opus(4441), 'mic');
    const info = await onA.importProducer(pipeA, await onB.exportProducer(pipeB, clerkMic), { peerId: 'clerk', source: 'mic' });
    expect(onA.slotFeeds).toBe(1);
    // The slot's producer became the clerk's microphone here: announced under the slot's id, the
    // far id not a producer of this session, both known as remote (not announced again, not exported).
    expect(info).toEqual({ producerId: micSlot.producerId, peerId: 'clerk', kind: 'audio', source: 'mic' });
    expect(aLog.producernew).toEqual([info]);
    expect(onA.idleSlots()).toEqual(['face']);
    expect(onA.listProducers().map((p) => p.producerId)).toEqual([micSlot.producerId]);
    expect(onA.isRemoteProducer(micSlot.producerId) && onA.isRemoteProducer(clerkMic)).toBe(true);
    expect(onA.hasCopyOf(clerkMic)).toBe(true);
    expect(onA.exportableProducers()).toEqual([]);
    await onA.pushConsumers('counter');
    expect(aLog.consumernew).toHaveLength(1);

    // The counter's transports go (a rebuild): with its slot gone, the import becomes the clerk's
    // microphone here and the counter's new receive transport consumes it directly.
    onA.closePeer('counter');
    await until(() => onA.listProducers().some((p) => p.producerId === clerkMic));
    expect(onA.isRemoteProducer(clerkMic)).toBe(true);
    expect(onA.exportableProducers()).toEqual([]);
    onA.enablePush('counter', onA.rtpCapabilities);
    const recv2 = await onA.createWebRtcTransport('counter', 'recv');
    await until(() => aLog.consumernew.some((b) => b.transportId === recv2.id));
    expect(aLog.consumernew.find((b) => b.transportId === recv2.id)!.consumers).toMatchObject([{ producerId: clerkMic, peerId: 'clerk', source: 'mic' }]);

    // The clerk stops the microphone on B and the node bus says so (SessionMesh: pipe.unproduce →
    // closeImport): its import on A goes, and the counter's consumer of it.
    onB.closeProducer('clerk', clerkMic);
    pipeA.closeImport(clerkMic);
    await until(() => !onA.listProducers().length);
    await until(() => aLog.consumerclosed.some((c) => c.peerId === 'counter'));
    onA.close();
    onB.close();
  });

  it('across nodes, sent ahead: a held import feeds the waiting counter’s slot unseen; linking makes it the clerk’s track; a second desk’s import takes the slot over; a held import that goes gives the slot back', async () => {
    // B holds the prepared call with two desks' faces staged in it (two clerks of one item); A
    // holds the queued counter with a face slot.
    const onA = await session('case');
    const onB = await session('case');
    const deskB1 = await session('desk1');
    const deskB2 = await session('desk2');
    const aLog = record(onA);
    const bLog = record(onB);
    onA.enablePush('counter', onA.rtpCapabilities, { slots: ['face'] });
    await onA.createWebRtcTransport('counter', 'recv');
    await until(() => aLog.consumernew.length === 1);
    const faceSlot = aLog.consumernew[0]!.consumers.find((c) => c.source === 'face')!;
    const [pipeA, pipeB] = await Promise.all([onA.openRegionPipe({ listenIp: '127.0.0.1' }), onB.openRegionPipe({ listenIp: '127.0.0.1' })]);
    await Promise.all([pipeA.connect(pipeB.local), pipeB.connect(pipeA.local)]);
    await deskB1.produce('clerk1', (await deskB1.createWebRtcTransport('clerk1', 'send')).id, 'video', vp8(6661), 'face');
    await deskB2.produce('clerk2', (await deskB2.createWebRtcTransport('clerk2', 'send')).id, 'video', vp8(6662), 'face');
    await deskB1.prepareLinkTo(onB, 'clerk1');
    await deskB2.prepareLinkTo(onB, 'clerk2');
    // Staged on B, told as copystaged, no peer's track there.
    await until(() => bLog.copystaged.length === 2);
    const staged = onB.stagedCopiesHere();
    expect(staged.map((p) => p.peerId).sort()).toEqual(['clerk1', 'clerk2']);
    expect(onB.listProducers()).toEqual([]);
    const copy1 = staged.find((p) => p.peerId === 'clerk1')!.producerId;
    const copy2 = staged.find((p) => p.peerId === 'clerk2')!.producerId;

    // Sent ahead to A: the first feeds the counter's face slot, the second waits unfed; neither is a
    // producer of A's call, nobody is told.
    const held1 = await onA.holdImport(pipeA, await onB.exportProducer(pipeB, copy1), { peerId: 'clerk1', source: 'face' });
    const held2 = await onA.holdImport(pipeA, await onB.exportProducer(pipeB, copy2), { peerId: 'clerk2', source: 'face' });
    expect([held1.fed, held2.fed]).toEqual([true, false]);
    // Sent ahead twice (B missed A's answer): held once, same answer.
    expect(await onA.holdImport(pipeA, await onB.exportProducer(pipeB, copy1), { peerId: 'clerk1', source: 'face' })).toEqual({ fed: true });
    expect([onA.isHeld(copy1), onA.isHeld(copy2)]).toEqual([true, true]);
    expect(onA.idleSlots()).toEqual([]);
    expect(onA.listProducers()).toEqual([]);
    expect(aLog.producernew).toEqual([]);
    expect(aLog.consumernew).toHaveLength(1);

    // The held import that feeds the slot goes (B's desk moved on: pipe.unproduce): the slot is idle again.
    pipeA.closeImport(copy1);
    await until(() => onA.idleSlots().length === 1);
    expect(onA.idleSlots()).toEqual(['face']);
    expect(await onA.linkHeld([copy1])).toEqual([]);

    // Desk 1 again, held and fed; then desk 2 takes the case: linking its unfed import hands it the
    // slot (desk 1's feed ends, the slot is fed anew), so the counter needs no new consumer.
    // (B's export of it stands — a pipe sends a producer once — and A imports it anew.)
    expect(await onA.holdImport(pipeA, await onB.exportProducer(pipeB, copy1), { peerId: 'clerk1', source: 'face' })).toEqual({ fed: true });
    expect(onA.idleSlots()).toEqual([]);
    expect(await onA.linkHeld([copy2])).toEqual([copy2]);
    expect(onA.isHeld(copy2)).toBe(false);
    expect(aLog.producernew).toEqual([{ producerId: faceSlot.producerId, peerId: 'clerk2', kind: 'video', source: 'face' }]);
    expect(onA.hasCopyOf(copy2)).toBe(true);
    expect(onA.hasCopyOf(copy1)).toBe(false);
    expect(aLog.consumernew).toHaveLength(1);
    expect(onA.isRemoteProducer(faceSlot.producerId)).toBe(true);
    expect(onA.exportableProducers()).toEqual([]);
    // Desk 1's import stays held, unfed; its desk's copy going (pipe.unproduce) closes it, and
    // linking it then links nothing.
    pipeA.closeImport(copy1);
    expect(await onA.linkHeld([copy1])).toEqual([]);
    expect(onA.listProducers().map((p) => p.peerId)).toEqual(['clerk2']);

    // The linked slot follows its import: the clerk's face going on B closes it on A.
    pipeA.closeImport(copy2);
    await until(() => aLog.consumerclosed.some((c) => c.consumerId === faceSlot.id));
    expect(onA.listProducers()).toEqual([]);
    for (const s of [onA, onB, deskB1, deskB2]) s.close();
  });

  it('across nodes, sent ahead before the counter’s slots exist: the held import feeds the slot made after it, and says so (heldfed)', async () => {
    const onA = await session('case');
    const onB = await session('case');
    const desk = await session('desk');
    const aLog = record(onA);
    const heldfed: string[] = [];
    onA.on('heldfed', (id) => heldfed.push(id));
    const [pipeA, pipeB] = await Promise.all([onA.openRegionPipe({ listenIp: '127.0.0.1' }), onB.openRegionPipe({ listenIp: '127.0.0.1' })]);
    await Promise.all([pipeA.connect(pipeB.local), pipeB.connect(pipeA.local)]);
    await desk.produce('clerk', (await desk.createWebRtcTransport('clerk', 'send')).id, 'video', vp8(7771), 'face');
    await desk.prepareLinkTo(onB, 'clerk');
    await until(() => onB.stagedCopiesHere().length === 1);
    const copy = onB.stagedCopiesHere()[0]!.producerId;
    // The counter on A has no receive transport yet: nothing to feed.
    expect(await onA.holdImport(pipeA, await onB.exportProducer(pipeB, copy), { peerId: 'clerk', source: 'face' })).toEqual({ fed: false });
    expect(onA.heldFeeds(copy)).toBe(false);
    expect(heldfed).toEqual([]);
    // Its receive transport comes with a face slot: the held import feeds it at once.
    onA.enablePush('counter', onA.rtpCapabilities, { slots: ['face'] });
    await onA.createWebRtcTransport('counter', 'recv');
    await until(() => heldfed.length === 1);
    expect(heldfed).toEqual([copy]);
    expect(onA.heldFeeds(copy)).toBe(true);
    expect(onA.idleSlots()).toEqual([]);
    expect(onA.listProducers()).toEqual([]);
    const faceSlot = aLog.consumernew[0]!.consumers.find((c) => c.source === 'face')!;
    expect(await onA.linkHeld([copy])).toEqual([copy]);
    expect(aLog.producernew).toEqual([{ producerId: faceSlot.producerId, peerId: 'clerk', kind: 'video', source: 'face' }]);
    for (const s of [onA, onB, desk]) s.close();
  });

  it('staging: a desk’s tracks copied into a prepared call ahead of the link stay unseen there; the link adopts them without a pipe transport more; a staged copy goes with its original', async () => {
    // Count the pipe transports the workers create, to see what the link itself costs.
    let pipeTransports = 0;
    for (const w of pool.workers) w.observer.on('newrouter', (r) => r.observer.on('newtransport', (t) => void (t.type === 'pipe' && pipeTransports++)));
    const call = await session('case');
    const desk = await session('desk');
    const callLog = record(call);
    const deskLog = record(desk);
    const deskSend = await desk.createWebRtcTransport('clerk', 'send');
    const clerkMic = await desk.produce('clerk', deskSend.id, 'audio', opus(4441), 'mic');
    const clerkScreen = await desk.produce('clerk', deskSend.id, 'audio', opus(4442), 'screen');
    // The desk waits for an applicant's face and microphone in receiving slots.
    desk.enablePush('clerk', desk.rtpCapabilities, { slots: ['face', 'mic'] });
    await desk.createWebRtcTransport('clerk', 'recv');
    await until(() => deskLog.consumernew.length === 1);

    await desk.prepareLinkTo(call, 'clerk');
    expect(desk.stagedCopies).toBe(2);
    expect(pipeTransports).toBe(4);
    // The call's feed into the desk's slots (one port per receive transport) is open already.
    await until(() => call.slotFeeds === 1);
    // Nobody in the call learns of them, nothing there to consume or export.
    expect(callLog.producernew).toEqual([]);
    expect(call.listProducers()).toEqual([]);
    expect(call.hasCopyOf(clerkMic)).toBe(false);
    // Staging again (the queue asked again) makes nothing more.
    await desk.prepareLinkTo(call, 'clerk');
    expect(desk.stagedCopies).toBe(2);
    expect(pipeTransports).toBe(4);

    // The counter's microphone arrives in the call: at the link it fills the desk's slot through
    // the feed opened ahead (no second feed).
    const callSend = await call.createWebRtcTransport('counter', 'send');
    const counterMic = await call.produce('counter', callSend.id, 'audio', opus(4443), 'mic');
    await call.pipeProducerTo(counterMic, desk);
    expect(desk.idleSlots()).toEqual(['face']);
    expect(call.slotFeeds).toBe(1);

    // The link adopts the staged copy: announced now, no new pipe pair.
    await desk.pipeProducerTo(clerkMic, call);
    expect(desk.stagedCopies).toBe(1);
    expect(pipeTransports).toBe(4);
    expect(callLog.producernew).toMatchObject([{ peerId: 'counter', source: 'mic' }, { peerId: 'clerk', kind: 'audio', source: 'mic' }]);
    expect(call.hasCopyOf(clerkMic)).toBe(true);

    // The staged screen share stops before any link: its staged pair goes with it, and a link
    // afterwards has nothing to adopt.
    desk.closeProducer('clerk', clerkScreen);
    await until(() => desk.stagedCopies === 0);
    expect(callLog.producernew.map((p) => `${p.peerId}:${p.source}`)).toEqual(['counter:mic', 'clerk:mic']);

    // A call with idle receiving slots (the counter on this node) needs nothing staged.
    const slotted = await session('case');
    slotted.enablePush('counter', slotted.rtpCapabilities, { slots: ['face', 'mic'] });
    await slotted.createWebRtcTransport('counter', 'recv');
    await until(() => slotted.idleSlots().length === 2);
    await desk.prepareLinkTo(slotted, 'clerk');
    expect(desk.stagedCopies).toBe(0);
    slotted.close();
    call.close();
    desk.close();
  });

  it('a desk’s staged picture, exported to another node, starts only once that node imported it (its first keyframe request must find the import)', async () => {
    // The loopback pipe consumers the workers create (the desk's side of each staged pair).
    const pipeConsumers: types.Consumer[] = [];
    for (const w of pool.workers) w.observer.on('newrouter', (r) => r.observer.on('newtransport', (t) => t.observer.on('newconsumer', (c) => void (c.type === 'pipe' && pipeConsumers.push(c)))));
    const desk = await session('desk');
    const onB = await session('case');
    const onA = await session('case');
    const deskSend = await desk.createWebRtcTransport('clerk', 'send');
    const face = await desk.produce('clerk', deskSend.id, 'video', vp8(5551), 'face');
    await desk.prepareLinkTo(onB, 'clerk');
    const staged = pipeConsumers.find((c) => c.producerId === face)!;
    expect(staged.paused).toBe(true);
    await desk.pipeProducerTo(face, onB);
    const copy = onB.listProducers().find((p) => p.source === 'face')!;
    const [pipeB, pipeA] = await Promise.all([onB.openRegionPipe({ listenIp: '127.0.0.1' }), onA.openRegionPipe({ listenIp: '127.0.0.1' })]);
    await Promise.all([pipeA.connect(pipeB.local), pipeB.connect(pipeA.local)]);
    const piped = await onB.exportProducer(pipeB, copy.producerId);
    // Exported, not yet imported on A: the copy is still held, no keyframe asked for.
    expect(staged.paused).toBe(true);
    await onA.importProducer(pipeA, piped, { peerId: 'clerk', source: 'face' });
    await onB.startExported([copy.producerId]);
    expect(staged.paused).toBe(false);
    onA.close();
    onB.close();
    desk.close();
  });

  it('dropImportsFrom closes what came from one session and leaves the session’s own tracks', async () => {
    const call = await session('case');
    const desk = await session('desk');
    const deskSend = await desk.createWebRtcTransport('clerk', 'send');
    const own = await desk.produce('clerk', deskSend.id, 'audio', opus(3331), 'mic');
    const callSend = await call.createWebRtcTransport('counter', 'send');
    const counterMic = await call.produce('counter', callSend.id, 'audio', opus(3332), 'mic');
    await Promise.all([desk.pipeProducerTo(own, call), call.pipeProducerTo(counterMic, desk)]);
    expect(call.hasCopyOf(own) && desk.hasCopyOf(counterMic)).toBe(true);
    desk.dropImportsFrom(call.id);
    await until(() => !desk.hasCopyOf(counterMic));
    expect(desk.ownProducers().map((p) => p.producerId)).toEqual([own]);
    // The call still has the desk's copy: dropping is one direction only.
    expect(call.hasCopyOf(own)).toBe(true);
    call.close();
    desk.close();
  });
});
