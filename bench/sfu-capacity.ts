/**
 * bench:sfu-capacity — how many concurrent 1:1 calls one node's media path carries. Each call is
 * as a node runs it: the counter's side in the call's MediaSession, the clerk's in their desk's
 * (two routers, placed by the WorkerPool on the least-loaded worker), the clerk's tracks piped
 * into the call and the counter's into the desk (SessionPipes), each track consumed once on the
 * other side. Per call: the applicant's face (VP8 ~1 Mbps, 30 fps), the 高拍仪 (~1.5 Mbps), the
 * clerk's face (~1 Mbps) and two Opus voices, real encoded packets at real timing.
 *
 * The clients are synthetic: plain RTP with SRTP (AES_CM_128_HMAC_SHA1_80) on PlainTransports
 * (MediaSession.createPlainTransport) in place of browsers on WebRtcTransports — ICE and DTLS are
 * per-call costs, SRTP is the per-packet one and is on every leg. The packets are encrypted once
 * (bench/srtpReplay.ts) and sent by every client from memory; the clients count what they receive
 * by the consumers' SSRCs (no decryption: RTP headers are in the clear).
 *
 * It ramps the number of calls; at each step it measures after a warm-up: loss (1 − received /
 * sent), each worker's CPU (getResourceUsage), the generator's own CPU, and derives
 * `worker_cpu_us_per_packet` (worker CPU per packet in or out of the node) and
 * `packets_out_per_s_per_core`. It stops at the first step with loss ≥ 0.5 % or a worker ≥ 85 %
 * CPU, or where the generator (sharing the machine's cores) could not send ≥ 97 % of what was due:
 * that step's load is smaller than its size, so it is no measure (`stopped_by`). The baseline is a bare mediasoup router per call (no MediaSession, no desk, no pipes)
 * forwarding the same packets on the same machine in the same run, at `--baseline-sessions`.
 *
 *   npm run bench:sfu-capacity                       (steps 25,50,100,150,200,250)
 *   npm run bench:sfu-capacity -- --steps 50,100 --measure 8 --workers 2
 */
import dgram from 'node:dgram';
import { mkdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { MEDIA_CODECS, SessionRegistry, WorkerPool, type MediaSession } from '@rvw/sfu';
import { percentile, printResult } from './runBench';
import { assertFfmpegSrtp, captureSrtp, type SrtpStream } from '../test/harness/srtpReplay';

const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const STEPS = (argValue('steps') ?? '25,50,100,150,200,250').split(',').map(Number);
const WARMUP_S = Number(argValue('warmup') ?? 3);
const MEASURE_S = Number(argValue('measure') ?? 8);
const WORKERS = Number(argValue('workers') ?? os.availableParallelism());
const BASELINE_SESSIONS = Number(argValue('baseline-sessions') ?? 100);
const MAX_LOSS = 0.005;
const MAX_WORKER_CPU = 0.85;
/** Each client starts somewhere in its first second, as calls do: no synchronised bursts. */
const SPREAD_MS = 1000;
/** A tick later than this slides the generator's timeline rather than bursting the backlog. */
const STALL_MS = 40;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One synthetic client: one socket, one transport on the node, its streams and what it receives. */
class SyntheticPeer {
  readonly socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 20, sendBufferSize: 1 << 20 });
  /** The node's side of this client's transport. */
  remotePort = 0;
  readonly streams: SrtpStream[] = [];
  readonly cursors: number[] = [];
  readonly offsetMs = Math.random() * SPREAD_MS;
  /** The consumers' SSRCs on this client's transport: only their packets are counted. */
  readonly expected = new Set<number>();
  received = 0;
  sent = 0;

  async open(): Promise<number> {
    await new Promise<void>((r) => this.socket.bind(0, '127.0.0.1', () => r()));
    this.socket.on('message', (m) => {
      // RTCP (sender reports of the consumers) is not media.
      const pt = m[1]! & 0x7f;
      if (pt >= 72 && pt <= 76) return;
      if (this.expected.has(m.readUInt32BE(8))) this.received += 1;
    });
    return (this.socket.address() as AddressInfo).port;
  }

  /** Sends every packet due by `elapsedMs` since the run's start. */
  pump(elapsedMs: number): void {
    const t = elapsedMs - this.offsetMs;
    for (let s = 0; s < this.streams.length; s++) {
      const stream = this.streams[s]!;
      let k = this.cursors[s]!;
      while (k < stream.packets.length && stream.dueMs[k]! <= t) {
        this.socket.send(stream.packets[k]!);
        k += 1;
        this.sent += 1;
      }
      this.cursors[s] = k;
    }
  }

  /** Sends to the node's side only from now on (a connected socket: no address per packet, half the generator's send cost). */
  async connectTo(port: number): Promise<void> {
    this.remotePort = port;
    await new Promise<void>((resolve, reject) => this.socket.connect(port, '127.0.0.1', (e?: Error) => (e ? reject(e) : resolve())));
  }

  close(): void {
    this.socket.close();
  }
}

interface Step {
  peers: SyntheticPeer[];
  workers: readonly types.Worker[];
  close(): Promise<void>;
}

interface StepResult {
  sessions: number;
  /** Calls' worth of packets actually sent (packets in per s / a call's rate): the load offered. */
  offered_sessions: number;
  /** Whether the generator sent ≥ 97 % of what was due (else the step's load is lower than its size). */
  generator_kept_up: boolean;
  /** Worker CPU per offered call, ms per s. */
  worker_cpu_ms_per_session_s: number;
  loss_pct: number;
  worker_cpu_pct_max: number;
  worker_cpu_pct_sum: number;
  worker_cpu_us_per_packet: number;
  packets_in_per_s: number;
  packets_out_per_s: number;
  packets_out_per_s_per_core: number;
  generator_cpu_pct: number;
  setup_ms: number;
  /** Datagrams the kernel dropped for a full socket buffer in the window (where loss happened). */
  udp_rcvbuf_drops: number;
  send_lag_p99_ms: number;
  /** Time the generator's timeline slid because it was starved (its figures then undercount). */
  generator_stalled_ms: number;
}

const capture = await (async () => {
  await assertFfmpegSrtp();
  const dir = path.join(os.tmpdir(), 'rvw-rtp-media');
  await mkdir(dir, { recursive: true });
  // Long enough for the spread, the warm-up and the measure without the replay running out.
  const seconds = Math.ceil(SPREAD_MS / 1000 + WARMUP_S + MEASURE_S + 2);
  return captureSrtp({
    dir,
    seconds: Math.max(seconds, 15),
    gop: 60,
    specs: [
      { name: 'face', kind: 'video', kbps: 1000, pattern: 'testsrc2' },
      { name: 'document', kind: 'video', kbps: 1500, pattern: 'mandelbrot' },
      { name: 'mic', kind: 'audio' },
    ],
  });
})();
const [FACE, DOCUMENT, MIC] = capture.streams as [SrtpStream, SrtpStream, SrtpStream];
const ppsOf = (s: SrtpStream) => (s.packets.length / s.dueMs[s.dueMs.length - 1]!) * 1000;
/** Packets a call sends per second: the counter's face, 高拍仪 and voice, the clerk's face and voice. */
const PPS_PER_SESSION = 2 * ppsOf(FACE) + ppsOf(DOCUMENT) + 2 * ppsOf(MIC);
/** Below this share of the packets due, the generator did not keep up and the step is not a measure. */
const MIN_OFFERED = 0.97;

async function newPeer(streams: SrtpStream[]): Promise<{ peer: SyntheticPeer; port: number }> {
  const peer = new SyntheticPeer();
  const port = await peer.open();
  for (const s of streams) {
    peer.streams.push(s);
    peer.cursors.push(0);
  }
  return { peer, port };
}

const sourceOf = (s: SrtpStream): 'face' | 'document' | 'mic' => s.name as 'face' | 'document' | 'mic';

/** N calls through the node's path: a call session and a desk session each, joined by pipes. */
async function productionStep(pool: WorkerPool, registry: SessionRegistry, n: number, tag: string): Promise<Step> {
  const peers: SyntheticPeer[] = [];
  const sessions: MediaSession[] = [];
  const one = async (i: number): Promise<void> => {
    const call = await registry.getOrCreate(`bench-${tag}-${i}`);
    const desk = await registry.getOrCreate(`desk:bench-${tag}-${i}`);
    sessions.push(call, desk);
    const counter = await newPeer([FACE, DOCUMENT, MIC]);
    const clerk = await newPeer([FACE, MIC]);
    peers.push(counter.peer, clerk.peer);
    const tc = await call.createPlainTransport('counter', { ip: '127.0.0.1', port: counter.port, srtpParameters: capture.srtpParameters });
    const tk = await desk.createPlainTransport('clerk', { ip: '127.0.0.1', port: clerk.port, srtpParameters: capture.srtpParameters });
    await counter.peer.connectTo(tc.port);
    await clerk.peer.connectTo(tk.port);
    const counterTracks = await Promise.all(counter.peer.streams.map((s) => call.produce('counter', tc.id, s.kind, s.rtpParameters, sourceOf(s))));
    const clerkTracks = await Promise.all(clerk.peer.streams.map((s) => desk.produce('clerk', tk.id, s.kind, s.rtpParameters, sourceOf(s))));
    // As a desk is linked to a call: each side's tracks piped into the other's router.
    for (const id of clerkTracks) await desk.pipeProducerTo(id, call);
    for (const id of counterTracks) await call.pipeProducerTo(id, desk);
    for (const [session, peerId, transportId, peer] of [[call, 'counter', tc.id, counter.peer], [desk, 'clerk', tk.id, clerk.peer]] as const) {
      for (const p of session.listProducers(peerId)) {
        const c = await session.consume(peerId, transportId, p.producerId, session.rtpCapabilities);
        peer.expected.add(c.rtpParameters.encodings![0]!.ssrc!);
        await session.resumeConsumer(peerId, c.id);
      }
      if (peer.expected.size !== (peerId === 'counter' ? 2 : 3)) throw new Error(`${peerId} consumes ${peer.expected.size} tracks`);
    }
  };
  // A few at a time, as calls come: the worker channel is not flooded.
  for (let i = 0; i < n; i += 10) await Promise.all(Array.from({ length: Math.min(10, n - i) }, (_, k) => one(i + k)));
  return {
    peers,
    workers: pool.workers,
    async close() {
      for (const s of sessions) s.close();
      for (const p of peers) p.close();
    },
  };
}

/** N calls on bare mediasoup: one router per call, both clients' transports in it, no pipes. */
async function baselineStep(workers: types.Worker[], n: number): Promise<Step> {
  const peers: SyntheticPeer[] = [];
  const routers: types.Router[] = [];
  const one = async (i: number): Promise<void> => {
    const router = await workers[i % workers.length]!.createRouter({ mediaCodecs: MEDIA_CODECS });
    routers.push(router);
    const sides = [await newPeer([FACE, DOCUMENT, MIC]), await newPeer([FACE, MIC])];
    peers.push(...sides.map((s) => s.peer));
    const transports: types.PlainTransport[] = [];
    const produced: types.Producer[][] = [];
    for (const side of sides) {
      const t = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: false, ...(process.env.NOSRTP ? {} : { enableSrtp: true, srtpCryptoSuite: capture.srtpParameters.cryptoSuite }) });
      await t.connect({ ip: '127.0.0.1', port: side.port, ...(process.env.NOSRTP ? {} : { srtpParameters: capture.srtpParameters }) });
      await side.peer.connectTo(t.tuple.localPort);
      transports.push(t);
      produced.push(await Promise.all(side.peer.streams.map((s) => t.produce({ kind: s.kind, rtpParameters: s.rtpParameters }))));
    }
    for (const [k, side] of sides.entries()) {
      for (const p of produced[1 - k]!) {
        const c = await transports[k]!.consume({ producerId: p.id, rtpCapabilities: router.rtpCapabilities, paused: true });
        side.peer.expected.add(c.rtpParameters.encodings![0]!.ssrc!);
        await c.resume();
      }
    }
  };
  for (let i = 0; i < n; i += 10) await Promise.all(Array.from({ length: Math.min(10, n - i) }, (_, k) => one(i + k)));
  return {
    peers,
    workers,
    async close() {
      for (const r of routers) r.close();
      for (const p of peers) p.close();
    },
  };
}

/** The kernel's UDP counters: datagrams dropped for a full receive buffer (anyone's, on loopback). */
async function udpRcvbufErrors(): Promise<number> {
  const snmp = await readFile('/proc/net/snmp', 'utf8');
  const [names, values] = snmp.split('\n').filter((l) => l.startsWith('Udp:'));
  const i = names!.split(/\s+/).indexOf('RcvbufErrors');
  return Number(values!.split(/\s+/)[i]);
}

async function workerCpuMs(workers: readonly types.Worker[]): Promise<number[]> {
  return Promise.all(workers.map(async (w) => {
    const u = await w.getResourceUsage();
    return u.ru_utime + u.ru_stime;
  }));
}

/** Runs a built step: warm-up, measure, stop, drain; the figures of the measure window. */
async function measure(step: Step, sessions: number, setupMs: number): Promise<StepResult> {
  let start = performance.now();
  const lags: number[] = [];
  let running = true;
  let lastTick = start;
  // The generator: every 2 ms, what is due. Its lag (how late a tick came) says if it kept up.
  let stalledMs = 0;
  const pump = (): void => {
    if (!running) return;
    const now = performance.now();
    const lag = now - lastTick - 2;
    lags.push(lag);
    lastTick = now;
    // A generator starved of CPU does not send the backlog at once (no client bursts a second of
    // media): its timeline slides instead, and the stall is reported.
    if (lag > STALL_MS) {
      start += lag;
      stalledMs += lag;
    }
    for (const p of step.peers) p.pump(now - start);
    setTimeout(pump, 2);
  };
  pump();
  await sleep(WARMUP_S * 1000);
  const sum = (f: (p: SyntheticPeer) => number) => step.peers.reduce((a, p) => a + f(p), 0);
  const sent0 = sum((p) => p.sent);
  const recv0 = sum((p) => p.received);
  const cpu0 = await workerCpuMs(step.workers);
  const drops0 = await udpRcvbufErrors();
  const gen0 = process.cpuUsage();
  const t0 = performance.now();
  lags.length = 0;
  stalledMs = 0;
  await sleep(MEASURE_S * 1000);
  const cpu1 = await workerCpuMs(step.workers);
  const gen1 = process.cpuUsage(gen0);
  const seconds = (performance.now() - t0) / 1000;
  running = false;
  const sentAtStop = sum((p) => p.sent);
  // What was sent before the stop arrives within a few ms on loopback.
  await sleep(500);
  const sent = sentAtStop - sent0;
  const received = sum((p) => p.received) - recv0;
  const drops = (await udpRcvbufErrors()) - drops0;
  const perWorker = cpu1.map((c, k) => (c - cpu0[k]!) / 1000 / seconds);
  const workerCpuS = perWorker.reduce((a, b) => a + b, 0) * seconds;
  const r2 = (x: number) => Math.round(x * 100) / 100;
  const offered = sent / seconds / PPS_PER_SESSION;
  return {
    sessions,
    offered_sessions: Math.round(offered),
    generator_kept_up: offered >= MIN_OFFERED * sessions,
    worker_cpu_ms_per_session_s: r2((workerCpuS * 1000) / seconds / offered),
    loss_pct: r2(Math.max(0, 1 - received / sent) * 100),
    worker_cpu_pct_max: r2(Math.max(...perWorker) * 100),
    worker_cpu_pct_sum: r2(perWorker.reduce((a, b) => a + b, 0) * 100),
    worker_cpu_us_per_packet: r2((workerCpuS * 1e6) / (sent + received)),
    packets_in_per_s: Math.round(sent / seconds),
    packets_out_per_s: Math.round(received / seconds),
    packets_out_per_s_per_core: Math.round(received / workerCpuS),
    generator_cpu_pct: r2(((gen1.user + gen1.system) / 1e6 / seconds) * 100),
    setup_ms: Math.round(setupMs),
    udp_rcvbuf_drops: drops,
    send_lag_p99_ms: r2(percentile(lags, 99)),
    generator_stalled_ms: Math.round(stalledMs),
  };
}

const loadBefore = os.loadavg()[0] ?? 0;
const passes = (s: StepResult) => s.generator_kept_up && s.loss_pct < MAX_LOSS * 100 && s.worker_cpu_pct_max < MAX_WORKER_CPU * 100;
const pool = await WorkerPool.create({ numWorkers: WORKERS });
const registry = new SessionRegistry(pool, { listenIp: '127.0.0.1', minPort: 20000, maxPort: 59999, maxIncomingBitrate: 6_000_000 });
const steps: StepResult[] = [];
for (const n of STEPS) {
  const t0 = performance.now();
  const step = await productionStep(pool, registry, n, String(n));
  const result = await measure(step, n, performance.now() - t0);
  await step.close();
  steps.push(result);
  console.error(JSON.stringify(result));
  // Over the criteria, or past what the generator can offer on this machine: no larger step can pass.
  if (!passes(result) || !result.generator_kept_up) break;
  await sleep(1000);
}
await pool.close();

// The same packets through bare routers, on fresh workers, in the same run.
const bareWorkers = await Promise.all(Array.from({ length: WORKERS }, () => mediasoup.createWorker({ logLevel: 'error' })));
const b0 = performance.now();
const bare = await baselineStep(bareWorkers, BASELINE_SESSIONS);
const baseline = await measure(bare, BASELINE_SESSIONS, performance.now() - b0);
await bare.close();
for (const w of bareWorkers) w.close();
console.error(JSON.stringify({ baseline }));

const best = steps.filter(passes).at(-1);
// The step measured at the baseline's size (or the nearest below), for a like-for-like ratio.
const comparable = [...steps].reverse().find((s) => s.sessions <= BASELINE_SESSIONS && s.generator_kept_up) ?? steps[0]!;
// What stopped the ramp: the node (loss, CPU) or the load generator sharing the machine's cores.
const last = steps.at(-1)!;
const stoppedBy = passes(last) ? 'last_step' : !last.generator_kept_up ? 'generator' : last.loss_pct >= MAX_LOSS * 100 ? 'loss' : 'worker_cpu';
const r2 = (x: number) => Math.round(x * 100) / 100;
printResult({
  bench: 'sfu-capacity',
  clients: 'synthetic: plain RTP + SRTP (AES_CM_128_HMAC_SHA1_80) on PlainTransports in place of browsers; no ICE/DTLS (per-call costs)',
  per_session: `face ${FACE.kbps} kbps + document ${DOCUMENT.kbps} kbps + clerk face ${FACE.kbps} kbps VP8, 2× Opus ${MIC.kbps} kbps; each consumed once`,
  cores: os.availableParallelism(),
  workers: WORKERS,
  max_sessions_ok: best?.sessions ?? 0,
  max_sessions_tried: last.sessions,
  stopped_by: stoppedBy,
  // Calls one worker core carries at the criterion's 85 %, from the largest passing step's CPU per call.
  sessions_per_worker_core_by_cpu: best ? Math.floor((1000 / best.worker_cpu_ms_per_session_s) * MAX_WORKER_CPU) : 0,
  baseline_sessions_per_worker_core_by_cpu: Math.floor((1000 / baseline.worker_cpu_ms_per_session_s) * MAX_WORKER_CPU),
  packets_per_s_per_session: Math.round(PPS_PER_SESSION),
  worker_cpu_us_per_packet: comparable.worker_cpu_us_per_packet,
  packets_out_per_s_per_core: comparable.packets_out_per_s_per_core,
  baseline_sessions: BASELINE_SESSIONS,
  baseline_loss_pct: baseline.loss_pct,
  baseline_worker_cpu_us_per_packet: baseline.worker_cpu_us_per_packet,
  baseline_packets_out_per_s_per_core: baseline.packets_out_per_s_per_core,
  cpu_per_packet_over_baseline_ratio: r2(comparable.worker_cpu_us_per_packet / baseline.worker_cpu_us_per_packet),
  comparable_step_sessions: comparable.sessions,
  steps,
  load_before: r2(loadBefore),
});
