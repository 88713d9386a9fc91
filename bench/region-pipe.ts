/**
 * bench/region-pipe: the latency a cross-region pipe adds. One RTP stream enters router A (region
 * 霍邱) and is received twice: directly from router A (the baseline, measured on the same packets
 * in the same run) and from router B (region 吴江, another worker process) after crossing a
 * RegionPipe pair with SRTP. Prints one JSON line. Goal: pipe adds ≤ 2 ms.
 *
 *   npm run bench:region-pipe            (PACKETS=2000 by default)
 */
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { MEDIA_CODECS, RegionPipe, WorkerPool } from '@rvw/sfu';
import { percentile, printResult } from './runBench';

const PACKETS = Number(process.env.PACKETS ?? 2000);
const SSRC = 31_337;
const PT = 100;
const LISTEN = { protocol: 'udp' as const, ip: '127.0.0.1' };

/** A socket that stamps each RTP packet's arrival by the index in its payload. */
async function timedSink(): Promise<{ port: number; arrivals: Map<number, bigint>; close(): void }> {
  const socket = dgram.createSocket('udp4');
  const arrivals = new Map<number, bigint>();
  socket.on('message', (msg) => {
    const now = process.hrtime.bigint();
    // RTCP (packet types 192–223 share the second byte's position) is not what we time.
    if (msg.length < 12 + 8 || (msg[1]! >= 192 && msg[1]! <= 223)) return;
    const cc = msg[0]! & 0x0f;
    let offset = 12 + cc * 4;
    if (msg[0]! & 0x10) offset += 4 + msg.readUInt16BE(offset + 2) * 4;
    arrivals.set(msg.readUInt32BE(offset + 4), now);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return { port: (socket.address() as AddressInfo).port, arrivals, close: () => socket.close() };
}

const pool = await WorkerPool.create({ numWorkers: 2 });
try {
  const routerA = await pool.createRouter({ mediaCodecs: MEDIA_CODECS });
  const routerB = await pool.createRouter({ mediaCodecs: MEDIA_CODECS });
  const pipeA = await RegionPipe.create({ router: routerA, listenIp: '127.0.0.1' });
  const pipeB = await RegionPipe.create({ router: routerB, listenIp: '127.0.0.1' });
  await pipeA.connect(pipeB.local);
  await pipeB.connect(pipeA.local);

  const input = await routerA.createPlainTransport({ listenInfo: LISTEN, rtcpMux: true, comedia: true });
  const producer = await input.produce({
    kind: 'audio',
    rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: PT, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: SSRC }] },
  });
  const imported = await pipeB.import(await pipeA.export(producer));

  const direct = await timedSink();
  const piped = await timedSink();
  const outA = await routerA.createPlainTransport({ listenInfo: LISTEN, rtcpMux: true, comedia: false });
  await outA.connect({ ip: '127.0.0.1', port: direct.port });
  await outA.consume({ producerId: producer.id, rtpCapabilities: routerA.rtpCapabilities });
  const outB = await routerB.createPlainTransport({ listenInfo: LISTEN, rtcpMux: true, comedia: false });
  await outB.connect({ ip: '127.0.0.1', port: piped.port });
  await outB.consume({ producerId: imported.id, rtpCapabilities: routerB.rtpCapabilities });

  const sender = dgram.createSocket('udp4');
  const sentAt = new Map<number, bigint>();
  for (let i = 0; i < PACKETS; i++) {
    const packet = Buffer.alloc(12 + 40);
    packet.writeUInt8(0x80, 0);
    packet.writeUInt8(PT, 1);
    packet.writeUInt16BE(i & 0xffff, 2);
    packet.writeUInt32BE(i * 960, 4);
    packet.writeUInt32BE(SSRC, 8);
    packet.writeUInt8(0x78, 12); // an Opus TOC byte
    packet.writeUInt32BE(i, 16);
    sentAt.set(i, process.hrtime.bigint());
    await new Promise<void>((resolve) => sender.send(packet, input.tuple.localPort, '127.0.0.1', () => resolve()));
    await new Promise((r) => setTimeout(r, 2));
  }
  await new Promise((r) => setTimeout(r, 300));
  sender.close();

  const ms = (ns: bigint) => Number(ns) / 1e6;
  const directMs: number[] = [];
  const pipedMs: number[] = [];
  const addedMs: number[] = [];
  for (const [i, t0] of sentAt) {
    const a = direct.arrivals.get(i);
    const b = piped.arrivals.get(i);
    if (a !== undefined) directMs.push(ms(a - t0));
    if (b !== undefined) pipedMs.push(ms(b - t0));
    if (a !== undefined && b !== undefined) addedMs.push(ms(b - a));
  }
  const r = (xs: number[], p: number) => Math.round(percentile(xs, p) * 1000) / 1000;
  printResult({
    bench: 'region-pipe',
    n: PACKETS,
    baseline_p50_ms: r(directMs, 50),
    baseline_p99_ms: r(directMs, 99),
    p50_ms: r(pipedMs, 50),
    p99_ms: r(pipedMs, 99),
    pipe_added_p50_ms: r(addedMs, 50),
    pipe_added_p99_ms: r(addedMs, 99),
    loss_pct: Math.round((1 - pipedMs.length / PACKETS) * 10000) / 100,
    baseline_loss_pct: Math.round((1 - directMs.length / PACKETS) * 10000) / 100,
    srtp: true,
  });
  direct.close();
  piped.close();
} finally {
  pool.close();
}
