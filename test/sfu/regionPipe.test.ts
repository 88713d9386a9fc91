// A cross-region call's two routers (one per region, here on two worker processes) joined by a
// RegionPipe pair over real UDP with SRTP:
//
//   generator --RTP--> plain in (router A, 霍邱) -> producer --pipe (SRTP)--> imported producer
//     (router B, 吴江) -> consumer on plain out --RTP--> sink
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { types } from 'mediasoup';
import { MEDIA_CODECS, RegionPipe, WorkerPool } from '@rvw/sfu';
import { GENERATOR_MARKER, parseRtpHeader, sendRtpStream, startUdpSink, waitFor } from './rtp';

const LISTEN = { protocol: 'udp' as const, ip: '127.0.0.1' };
const SSRC = 22_334_455;
const PT = 100;

describe('RegionPipe: media crosses between two regions’ routers once, encrypted', () => {
  let pool: WorkerPool;
  let routerA: types.Router;
  let routerB: types.Router;

  beforeAll(async () => {
    pool = await WorkerPool.create({ numWorkers: 2 });
    routerA = await pool.createRouter({ mediaCodecs: MEDIA_CODECS });
    routerB = await pool.createRouter({ mediaCodecs: MEDIA_CODECS });
  });
  afterAll(() => pool?.close());

  it('routers of the two regions live on different worker processes', () => {
    expect((routerA.appData as { workerPid: number }).workerPid).not.toBe((routerB.appData as { workerPid: number }).workerPid);
  });

  it('forwards a producer from region A to a consumer in region B and cascades its closing', async () => {
    const pipeA = await RegionPipe.create({ router: routerA, listenIp: '127.0.0.1' });
    const pipeB = await RegionPipe.create({ router: routerB, listenIp: '127.0.0.1' });
    expect(pipeA.local.srtpParameters?.cryptoSuite).toBeDefined();
    await pipeA.connect(pipeB.local);
    await pipeB.connect(pipeA.local);

    const input = await routerA.createPlainTransport({ listenInfo: LISTEN, rtcpMux: true, comedia: true });
    const producer = await input.produce({
      kind: 'audio',
      rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: PT, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: SSRC }] },
      appData: { source: 'mic' },
    });
    const piped = await pipeA.export(producer);
    expect(piped).toMatchObject({ producerId: producer.id, kind: 'audio', appData: { source: 'mic' } });
    const imported = await pipeB.import(piped);
    expect(imported.id).toBe(producer.id);

    const sink = await startUdpSink();
    const out = await routerB.createPlainTransport({ listenInfo: LISTEN, rtcpMux: true, comedia: false });
    await out.connect({ ip: '127.0.0.1', port: sink.port });
    const consumer = await out.consume({ producerId: imported.id, rtpCapabilities: routerB.rtpCapabilities });
    const outSsrc = consumer.rtpParameters.encodings?.[0]?.ssrc;

    const sent = await sendRtpStream({ port: input.tuple.localPort, ssrc: SSRC, payloadType: PT, count: 50, intervalMs: 10 });
    await waitFor(() => sink.packets.filter((p) => parseRtpHeader(p)?.ssrc === outSsrc).length >= 48, 15_000);
    const received = sink.packets.map((p) => ({ p, h: parseRtpHeader(p) })).filter((x) => x.h?.ssrc === outSsrc);
    expect(received.length).toBeGreaterThanOrEqual(48);
    // The payload arrives intact in region B (so B decrypted what A encrypted on the pipe).
    expect(received.every((x) => x.p.subarray(x.h!.headerLength).includes(GENERATOR_MARKER))).toBe(true);
    expect(sent).toHaveLength(50);
    const stats = await imported.getStats();
    expect(stats[0]?.packetCount ?? 0).toBeGreaterThanOrEqual(48);

    // The producer leaves region A: region B is told through the pipe end's event.
    const closed = new Promise<string>((resolve) => pipeA.once('exportclosed', resolve));
    producer.close();
    expect(await closed).toBe(producer.id);
    const consumerGone = consumer.closed ? Promise.resolve() : new Promise<void>((resolve) => consumer.observer.once('close', () => resolve()));
    pipeB.closeImport(producer.id);
    expect(imported.closed).toBe(true);
    // Region B's consumer of it follows (the worker reports the producer gone asynchronously).
    await consumerGone;
    expect(consumer.closed).toBe(true);

    pipeA.close();
    pipeB.close();
    pipeA.close(); // idempotent
    input.close();
    out.close();
    await sink.close();
  });

  it('with mismatched SRTP keys nothing reaches region B', async () => {
    const pipeA = await RegionPipe.create({ router: routerA, listenIp: '127.0.0.1' });
    const pipeB = await RegionPipe.create({ router: routerB, listenIp: '127.0.0.1' });
    const stranger = await RegionPipe.create({ router: routerB, listenIp: '127.0.0.1' });
    // A encrypts with its own key; B is told a stranger's key for what A sends.
    await pipeA.connect(pipeB.local);
    await pipeB.connect({ ...pipeA.local, srtpParameters: stranger.local.srtpParameters! });

    const input = await routerA.createPlainTransport({ listenInfo: LISTEN, rtcpMux: true, comedia: true });
    const producer = await input.produce({
      kind: 'audio',
      rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: PT, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: SSRC + 1 }] },
    });
    const imported = await pipeB.import(await pipeA.export(producer));
    await sendRtpStream({ port: input.tuple.localPort, ssrc: SSRC + 1, payloadType: PT, count: 30, intervalMs: 10 });
    await new Promise((r) => setTimeout(r, 300));
    const stats = await imported.getStats();
    expect(stats[0]?.packetCount ?? 0).toBe(0);
    for (const p of [pipeA, pipeB, stranger]) p.close();
    input.close();
  });
});
