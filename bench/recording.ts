/**
 * bench:recording — N concurrently recorded sessions (face 1 Mbps VP8 30 fps, document 1.5 Mbps,
 * clerk face 1 Mbps, two Opus), fed real encoded RTP at real rate (encoded once, replayed with
 * `-c copy`). Phase 1 (baseline): the same packets forwarded by mediasoup to a UDP sink, no
 * recording. Phase 2: the same forwarding (a recorded call still reaches the other side) and every
 * track recorded, so phase 2 − phase 1 is what recording adds. CPU counts mediasoup worker(s) +
 * recorder processes (the feeders are the load generator and are not counted). Recorders are started ahead, as a
 * node with open desks keeps them (RecorderPool; `--cold` spawns each at start), and a session's
 * tracks share one recorder process as at 受理 (`--per-track`: one process per track). One JSON line.
 *
 *   npm run bench:recording -- --sessions 10 --seconds 20
 */
import dgram from 'node:dgram';
import { execFile } from 'node:child_process';
import { readFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { MEDIA_CODECS } from '@rvw/sfu';
import { RecorderPool, SessionRecorder, recorderCodecOf, type RecordedSegment, type RecordedSource } from '@rvw/sfu/recording/index';
import { encodeAudio, encodeVideo, feedRouter, type Feeder } from '../test/harness/rtpFeeder';
import { percentile, printResult } from './runBench';

const run = promisify(execFile);
const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const SESSIONS = arg('sessions', 10);
const SECONDS = arg('seconds', 20);
// As a node runs: recorders started ahead (RecorderPool) unless --cold (each spawned at start).
const WARM = !process.argv.includes('--cold');
// As a node runs: a session's tracks started together share one recorder process, unless --per-track.
const SHARED = !process.argv.includes('--per-track');
const SOURCES: RecordedSource[] = ['face', 'document', 'clerk_face', 'mic', 'clerk_mic'];
const TICK_MS = 1000 / 100; // USER_HZ
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function procCpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return 0;
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_MS; // utime, stime
}

async function workersCpuMs(workers: types.Worker[]): Promise<number> {
  let ms = 0;
  for (const w of workers) {
    const u = await w.getResourceUsage();
    ms += u.ru_utime + u.ru_stime;
  }
  return ms;
}

async function main(): Promise<void> {
  const load = os.loadavg()[0];
  const mediaDir = path.join(os.tmpdir(), 'rvw-rtp-media');
  await mkdir(mediaDir, { recursive: true });
  const face = await encodeVideo({ dir: mediaDir, seconds: 20, kbps: 1000 });
  const doc = await encodeVideo({ dir: mediaDir, seconds: 20, kbps: 1500, pattern: 'mandelbrot' });
  const mic = await encodeAudio({ dir: mediaDir, seconds: 20 });
  const outDir = await mkdtemp(path.join(os.tmpdir(), 'rvw-bench-rec-'));

  const workers = [await mediasoup.createWorker({ logLevel: 'error' })];
  const routers: types.Router[] = [];
  const feeders: Feeder[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const router = await workers[0]!.createRouter({ mediaCodecs: MEDIA_CODECS });
    routers.push(router);
    feeders.push(await feedRouter({ router, media: [face, doc, face, mic, mic], loop: true }));
  }
  await sleep(1500);
  // Warnings (a recorder that failed, a file left empty) go to stderr: they explain a bad figure.
  const logger = { info: () => undefined, warn: (o: object, m?: string) => console.error('warn:', m, JSON.stringify(o).slice(0, 400)) };
  // Started ahead and listening before phase 1, as a node with open desks keeps them.
  const pool = WARM ? new RecorderPool({ dir: outDir, logger }) : undefined;
  if (pool) {
    const caps = routers[0]!.rtpCapabilities;
    const vp8 = recorderCodecOf(caps, 'video/VP8')!;
    const opus = recorderCodecOf(caps, 'audio/opus')!;
    // As CallRecordings keeps them: a call's five tracks in one process (SHARED), or one each.
    pool.keepWarm(SHARED ? [{ codecs: [vp8, vp8, vp8, opus, opus], count: SESSIONS }] : [{ codecs: [vp8], count: SESSIONS * 3 }, { codecs: [opus], count: SESSIONS * 2 }]);
    const deadline = Date.now() + 120_000;
    while (pool.ready < SESSIONS * (SHARED ? 1 : 5) && Date.now() < deadline) await sleep(200);
  }

  // Phase 1: forward the same packets to a sink (what any consumer costs), no recording.
  const sink = dgram.createSocket('udp4');
  await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
  sink.on('message', () => undefined);
  const sinkPort = (sink.address() as AddressInfo).port;
  const baseTransports: types.PlainTransport[] = [];
  for (const [i, f] of feeders.entries()) {
    for (const t of f.tracks) {
      const tr = await routers[i]!.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: false, enableSctp: false });
      await tr.connect({ ip: '127.0.0.1', port: sinkPort });
      await tr.consume({ producerId: t.producer.id, rtpCapabilities: routers[i]!.rtpCapabilities });
      baseTransports.push(tr);
    }
  }
  let w0 = await workersCpuMs(workers);
  let t0 = Date.now();
  await sleep(SECONDS * 1000);
  const baselineCpu = (await workersCpuMs(workers)) - w0;
  const baselineS = (Date.now() - t0) / 1000;

  // Phase 2: record every track.
  const segments: RecordedSegment[] = [];
  const recorders: SessionRecorder[] = [];
  const startMs: number[] = [];
  await Promise.all(
    feeders.map(async (f, i) => {
      const rec = await SessionRecorder.start({ router: routers[i]!, dir: outDir, sessionId: `B${i}`, logger, shareProcess: SHARED, ...(pool ? { pool } : {}) });
      rec.on('segmentclosed', (s) => segments.push(s));
      recorders.push(rec);
      await rec.addAll(f.tracks.map((t, k) => ({ producer: t.producer, source: SOURCES[k]! })));
    }),
  );
  // Nothing more to start: the pool's idle ones (and refills) go, and cost nothing below.
  await pool?.close();
  await sleep(1000); // every recorder past its stream probe
  const pids = [...new Set(recorders.flatMap((r) => r.recorderPids))];
  const p0 = await Promise.all(pids.map(procCpuMs));
  w0 = await workersCpuMs(workers);
  t0 = Date.now();
  await sleep(SECONDS * 1000);
  const p1 = await Promise.all(pids.map(procCpuMs));
  const recordCpu = (await workersCpuMs(workers)) - w0 + p1.reduce((a, b, k) => a + b - p0[k]!, 0);
  const recordS = (Date.now() - t0) / 1000;
  await Promise.all(recorders.map((r) => r.stop()));
  for (const tr of baseTransports) tr.close();
  sink.close();
  for (const f of feeders) await f.stop();
  for (const w of workers) w.close();

  // When each file's media starts, read from the file itself: it ends at the segment's end, so it
  // starts at endedAt − duration. (The trace event of the first packet reaches Node late when the
  // event loop is busy — seconds with 50 recorders starting — so it would inflate the start.)
  let corrupted = segments.length === SESSIONS * SOURCES.length ? 0 : SESSIONS * SOURCES.length - segments.length;
  for (const s of segments) {
    const d = await run('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-threads', '1', '-i', s.file, '-fps_mode', 'vfr', '-f', 'null', '-']).catch((e: { stdout: string; stderr: string }) => e);
    const p = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', s.file]).catch(() => ({ stdout: 'NaN' }));
    const dur = Number(p.stdout.trim());
    const mediaStart = s.endedAt - dur * 1000 - s.startedAt;
    if (s.tracks[0]!.kind === 'video') startMs.push(Math.max(0, mediaStart));
    // Not decodable, no duration, or media longer than the recorder lived (timestamps broken).
    if ((d.stdout + d.stderr).trim() !== '' || !Number.isFinite(dur) || mediaStart < -500) {
      corrupted++;
      console.error(`corrupted: ${s.tracks[0]!.source} ${path.basename(s.file)} ${s.reason}: duration ${dur} s, lived ${(s.endedAt - s.startedAt) / 1000} s, decode: ${(d.stdout + d.stderr).trim().slice(0, 300)}`);
    }
  }
  await rm(outDir, { recursive: true, force: true });
  const r1 = (x: number) => Math.round(x * 10) / 10;
  const perSession = recordCpu / SESSIONS / recordS;
  const basePerSession = baselineCpu / SESSIONS / baselineS;
  printResult({
    bench: 'recording',
    sessions: SESSIONS,
    seconds: SECONDS,
    tracks_per_session: SOURCES.length,
    recorders_started_ahead: WARM,
    recorder_processes_per_session: r1(pids.length / SESSIONS),
    cpu_ms_per_session_s: r1(perSession),
    baseline_cpu_ms_per_session_s: r1(basePerSession),
    recorder_overhead_ms_per_session_s: r1(perSession - basePerSession),
    // A core spent on nothing but the calls and their recording.
    sessions_per_core_at_full_cpu: Math.floor(1000 / perSession),
    // A core's worth of what recording adds to calls that are forwarded anyway.
    recorded_sessions_per_core_by_overhead: Math.floor(1000 / (perSession - basePerSession)),
    corrupted_files: corrupted,
    files: segments.length,
    start_to_first_keyframe_p50_ms: percentile(startMs, 50),
    start_to_first_keyframe_max_ms: Math.max(...startMs),
    load_before: r1(load ?? 0),
  });
}

await main();
