// Real mediasoup-worker, real RTP: ffmpeg (Debian) encodes a VP8 test pattern and sends it over UDP
// to a PlainTransport producer; a PlainTransport consumer forwards it to a UDP socket we own.
import { assertWorkerBinary } from '@rvw/sfu/workerBinary';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { isRtcp, parseRtpHeader, startUdpSink, waitForAsync, type UdpSink } from './rtp';

assertWorkerBinary();

const MEDIA_CODECS: types.RtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2, preferredPayloadType: 100 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, preferredPayloadType: 101 },
];
// What ffmpeg puts on the wire; deliberately different from what the router assigns to consumers.
const FFMPEG_PAYLOAD_TYPE = 96;
const FFMPEG_SSRC = 0x11223344;
const FFMPEG_SECONDS = 3;

/** A UDP forwarder between ffmpeg and mediasoup that counts exactly what ffmpeg sent. */
interface Tap {
  port: number;
  packets: number;
  bytes: number;
  close(): Promise<void>;
}

async function startTap(targetPort: number): Promise<Tap> {
  const socket = dgram.createSocket('udp4');
  const tap: Tap = {
    port: 0,
    packets: 0,
    bytes: 0,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
  socket.on('message', (msg) => {
    if (isRtcp(msg)) return;
    tap.packets++;
    tap.bytes += msg.length;
    socket.send(msg, targetPort, '127.0.0.1');
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  tap.port = (socket.address() as AddressInfo).port;
  return tap;
}

/** Runs ffmpeg: VP8 test pattern, real time, RTP to 127.0.0.1:rtpPort (RTCP to rtcpPort). */
function runFfmpeg(rtpPort: number, rtcpPort: number): Promise<void> {
  const args = [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    '-re', '-f', 'lavfi', '-i', `testsrc=size=320x240:rate=30:duration=${FFMPEG_SECONDS}`,
    '-an', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '600k', '-g', '30',
    '-f', 'rtp', '-payload_type', String(FFMPEG_PAYLOAD_TYPE), '-ssrc', String(FFMPEG_SSRC),
    `rtp://127.0.0.1:${rtpPort}?rtcpport=${rtcpPort}&pkt_size=1200`,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`ffmpeg exited with ${code}: ${stderr.slice(-2000)}`)),
    );
  });
}

describe('mediasoup PlainTransport with real RTP (ffmpeg VP8)', () => {
  let worker: types.Worker;
  let router: types.Router;
  let sink: UdpSink;
  let rtcpSink: UdpSink;

  beforeAll(async () => {
    worker = await mediasoup.createWorker({ logLevel: 'warn' });
    router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS });
    sink = await startUdpSink();
    rtcpSink = await startUdpSink();
  });

  afterAll(async () => {
    await sink?.close();
    await rtcpSink?.close();
    worker?.close();
  });

  it('forwards ffmpeg VP8 RTP from a producer to a consumer socket with consistent stats', async () => {
    const recvTransport = await router.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
      rtcpMux: true,
      comedia: true,
    });
    const producer = await recvTransport.produce({
      kind: 'video',
      rtpParameters: {
        codecs: [{ mimeType: 'video/VP8', payloadType: FFMPEG_PAYLOAD_TYPE, clockRate: 90000 }],
        encodings: [{ ssrc: FFMPEG_SSRC }],
      },
    });

    const sendTransport = await router.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
      rtcpMux: true,
      comedia: false,
    });
    await sendTransport.connect({ ip: '127.0.0.1', port: sink.port });
    const consumer = await sendTransport.consume({
      producerId: producer.id,
      rtpCapabilities: router.rtpCapabilities,
    });
    const consumerCodec = consumer.rtpParameters.codecs[0];
    const consumerSsrc = consumer.rtpParameters.encodings?.[0]?.ssrc;
    expect(consumerCodec?.mimeType).toBe('video/VP8');
    expect(consumerCodec?.payloadType).toBe(101);
    expect(consumerSsrc).toBeTypeOf('number');

    const tap = await startTap(recvTransport.tuple.localPort);
    try {
      await runFfmpeg(tap.port, rtcpSink.port);
    } finally {
      await tap.close();
    }

    const rtpFromConsumer = () =>
      sink.packets.map(parseRtpHeader).filter((h) => h !== undefined && h.ssrc === consumerSsrc);
    // ffmpeg has exited; wait until the worker has counted everything the tap forwarded and every
    // packet the consumer counted has arrived at the sink.
    let producerStats: types.ProducerStat | undefined;
    let consumerStats: types.ConsumerStat | undefined;
    await waitForAsync(async () => {
      [producerStats] = await producer.getStats();
      consumerStats = (await consumer.getStats()).find((s) => s.type === 'outbound-rtp');
      return producerStats?.packetCount === tap.packets && consumerStats?.packetCount === rtpFromConsumer().length;
    }, 15_000);

    const received = rtpFromConsumer();
    // ~30 fps for 3 s, at least one RTP packet per frame.
    expect(tap.packets).toBeGreaterThan(FFMPEG_SECONDS * 25);
    expect(received.length).toBeGreaterThan(FFMPEG_SECONDS * 25);
    for (const header of received) {
      expect(header?.version).toBe(2);
      expect(header?.payloadType).toBe(consumerCodec?.payloadType);
    }
    // Sequence numbers are rewritten by the consumer but stay contiguous (loopback: no loss).
    const seqs = received.map((h) => h?.sequenceNumber ?? -1);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(((seqs[i - 1] ?? 0) + 1) & 0xffff);

    expect(producerStats?.packetCount).toBe(tap.packets);
    expect(producerStats?.byteCount).toBe(tap.bytes);
    expect(consumerStats?.packetCount).toBe(received.length);
    expect(consumerStats?.packetCount).toBeLessThanOrEqual(producerStats?.packetCount ?? 0);
    // The consumer existed before ffmpeg started, so it forwarded (nearly) everything.
    expect(consumerStats?.packetCount).toBeGreaterThanOrEqual(0.95 * (producerStats?.packetCount ?? 0));
    expect(consumerStats?.byteCount).toBeGreaterThan(0);

    consumer.close();
    producer.close();
    sendTransport.close();
    recvTransport.close();
    router.close();
    const dump = await worker.dump();
    expect(dump.routerIds).toEqual([]);
  });
});
