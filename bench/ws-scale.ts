/**
 * bench/ws-scale: many concurrent authenticated WebSockets against one regional node — counter
 * terminals, and clerks whose pages watch their queue (`queue.subscribe`). The node runs as a
 * process of its own (bench/wsScaleNode.ts: RegionalNode as main.ts builds it, on a private
 * redis-server), so its memory is measured alone and this load generator's CPU stays out of its
 * event loop (both share the machine's cores). It runs from the sources under tsx, as the benches
 * do: the loader sits in `baseline_rss_bytes`, not in the per-socket figures. Sockets are plain
 * `ws` clients with the pages' cookies and Origin. Prints one JSON line:
 *  - `rss_bytes_per_socket`: the node's RSS after the sockets opened minus `baseline_rss_bytes`
 *    (the same node, warmed up, no sockets), each after a full GC, over `sockets`. Goal ≤ 10 KB.
 *    A few thousand sockets move RSS by little more than the heap's page-sized steps:
 *    `heap_used_bytes_per_socket` is the steadier figure at small `--sockets`.
 *  - `request_p99_ms`: a `ping` round trip from a sample of the sockets while all are open,
 *    paced (`request_rate_per_s`); `baseline_request_*` the same with only the warm-up sockets
 *    open; `request_during_fanout_*` the same pings while the queue changes below go on. Goal
 *    ≤ 20 ms.
 *  - `fanout_p99_ms`: from a counter's `queue.join` (or `queue.leave`) leaving this process to
 *    each subscribed clerk's receipt of `queue.changed`, over `fanout_triggers` triggers. Goal
 *    ≤ 100 ms. `node_route_*`: the node's own part, delivering one change to its sockets.
 *    `refresh_*`: from the trigger to each clerk's answer to the `queue.subscribe` its page
 *    sends on `queue.changed` (ClerkPage does), i.e. until every clerk sees the new queue.
 * Times are taken in this process, which shares the cores with the node: its own work (reading
 * 1,000 notifications, sending 1,000 re-reads) is part of every figure.
 * Every socket is of a real principal (clerks enrolled by invite and passkey, counters registered
 * and activated), made with the node's own services in this process: over HTTP the per-address
 * limits (10 activations a minute) would take an hour. Each principal holds at most the node's
 * socket budget (RVW_BUDGET_SOCKETS_PER_PRINCIPAL, 16), so `principals` ≈ sockets / 16.
 * Each process needs a descriptor per socket: RLIMIT_NOFILE is raised to sockets + 2048 when
 * lower (prlimit on this process before anything is spawned; past the hard limit only with
 * CAP_SYS_RESOURCE). `nofile_limit` is what the processes ran with.
 *
 *   npm run bench:ws-scale                                   (10,000 sockets, 1,000 of them clerks)
 *   npm run bench:ws-scale -- --sockets 2000 --clerks 500 --triggers 4
 *   NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof' npm run bench:ws-scale   (node flags: profile it)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { freePort } from '@rvw/infra/redis/freePort';
import { RECORDING_NOTICE_VERSION } from '@rvw/protocol/recordingNotice';
import type { Principal } from '@rvw/signaling/auth/Principal';
import { loadConfig } from '@rvw/signaling/config';
import { tokenOf } from '../test/auth/apiClient';
import { SoftAuthenticator } from '../test/auth/softAuthenticator';
import { withCheckDigit } from '../test/harness/idNumber';
import { startTestNode, type TestNode } from '../test/harness/testNode';
import { percentile, printResult } from './runBench';
import type { NodeMessage, NodeStats } from './wsScaleNode';

const { values: args } = parseArgs({
  options: {
    sockets: { type: 'string', default: '10000' },
    clerks: { type: 'string', default: '1000' },
    triggers: { type: 'string', default: '10' },
  },
});
const [SOCKETS, CLERKS, TRIGGERS] = [args.sockets, args.clerks, args.triggers].map((v) => {
  if (!/^\d+$/.test(v) || Number(v) < 2) throw new Error(`--sockets, --clerks, --triggers take whole numbers of at least 2 (got ${v})`);
  return Number(v);
}) as [number, number, number];
const CLERK_SOCKETS = Math.min(SOCKETS - 1, CLERKS);
/** Sockets opened at once while ramping up (the node's listen backlog is 511). */
const RAMP_BATCH = 250;
const WARMUP_SOCKETS = Math.min(100, Math.floor(SOCKETS / 10));
const REQUEST_RATE_PER_S = 500;
const REQUESTS = 5000;
const REQUEST_SAMPLE = 500;
/** Descriptors each process needs: a socket each, plus Redis, files, the worker's pipes. */
const NOFILE = SOCKETS + 2048;

// The demo partnership: 吴江 counters queue for 霍邱 clerks serving this item.
const SERVING_REGION = '341522';
const ITEM = '000117005000';
const PARTNERSHIP = 'wujiang-huoqiu';
const HALL = 'wujiang-xzfwzx';
const APPLICANT_REGION = '320509';

/**
 * RLIMIT_NOFILE of this process, raised to `wanted` when lower (spawned processes inherit it).
 * Past the hard limit only with CAP_SYS_RESOURCE: without it, refuses a run that cannot fit.
 */
function raiseFileLimit(wanted: number): number {
  const limits = () => /^Max open files\s+(\d+)\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))!.slice(1).map(Number) as [number, number];
  const [soft, hard] = limits();
  if (soft >= wanted) return soft;
  try {
    execFileSync('prlimit', [`--pid=${process.pid}`, `--nofile=${wanted}:${Math.max(hard, wanted)}`], { stdio: 'pipe' });
  } catch {
    if (hard < wanted) throw new Error(`RLIMIT_NOFILE: the hard limit ${hard} is below the ${wanted} descriptors this run needs per process (raise it, or fewer --sockets)`);
    execFileSync('prlimit', [`--pid=${process.pid}`, `--nofile=${hard}:${hard}`]);
  }
  return limits()[0];
}

/** One bench socket: a plain `ws` client that times its requests and hears `queue.changed`. */
class BenchSocket {
  static errors = 0;
  readonly #pending = new Map<number, { t0: number; resolve: (r: { ms: number; data: unknown }) => void; reject: (e: Error) => void }>();
  #nextId = 1;
  /** Called with the arrival time of the next `queue.changed`. */
  onQueueChanged: ((at: number) => void) | undefined;

  private constructor(readonly ws: WebSocket) {}

  /** Opens a socket with `cookie`; resolves with it and how long until its hello, in ms. */
  static open(url: string, origin: string, cookie: string): Promise<{ socket: BenchSocket; ms: number }> {
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers: { origin, cookie }, perMessageDeflate: false });
      const s = new BenchSocket(ws);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with HTTP ${res.statusCode}`)));
      ws.on('error', (e) => {
        BenchSocket.errors++;
        reject(e);
      });
      // A socket the node drops fails its pending requests rather than leaving them hanging.
      ws.on('close', () => {
        for (const p of s.#pending.values()) p.reject(new Error('socket closed'));
        s.#pending.clear();
      });
      ws.on('message', (data) => {
        const at = performance.now();
        const m = JSON.parse(String(data)) as { type: string; id?: number; ok?: boolean; data?: unknown; error?: { code: string } };
        if (m.type === 'hello') resolve({ socket: s, ms: at - t0 });
        else if (m.type === 'response' && typeof m.id === 'number') {
          const p = s.#pending.get(m.id);
          s.#pending.delete(m.id);
          if (!p) return;
          if (m.ok) p.resolve({ ms: at - p.t0, data: m.data });
          else p.reject(new Error(`request failed: ${m.error?.code}`));
        } else if (m.type === 'queue.changed') s.onQueueChanged?.(at);
      });
    });
  }

  /** Sends a request; resolves with its round trip in ms and its data. */
  request(type: string, payload: Record<string, unknown> = {}): Promise<{ ms: number; data: unknown }> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { t0: performance.now(), resolve, reject });
      this.ws.send(JSON.stringify({ id, type, ...payload }));
    });
  }
}

/** A socket to open: whose cookie, and whether its page watches the queue. */
interface SocketSpec {
  cookie: string;
  clerk: boolean;
}

/** A clerk of 霍邱 for the item, enrolled by invite and passkey; returns its session cookie. */
async function enrolClerk(t: TestNode, admin: Principal, i: number): Promise<string> {
  const { invites, passkeys, cookies } = t.node.auth;
  const invite = await invites.createInvite(admin, { role: 'clerk', regionCode: SERVING_REGION, itemCodes: [ITEM] });
  const token = tokenOf(invite.url);
  const key = new SoftAuthenticator(t.origin);
  const { options } = await passkeys.registrationOptions({ token, name: `压测窗口 ${i}` });
  await passkeys.verifyRegistration({ token, response: key.register(options) });
  const { sessionId } = await passkeys.verifyAuthentication(key.authenticate(await passkeys.authenticationOptions()));
  return `${cookies.session}=${sessionId}`;
}

/** A counter terminal of the 吴江 hall: catalogued, registered and activated; returns its device cookie. */
async function activateCounter(t: TestNode, admin: Principal, i: number): Promise<string> {
  const { counters, cookies } = t.node.auth;
  const id = `bench-counter-${i}`;
  await t.node.catalog.insert('counter', { id, hallId: HALL, name: `压测窗口 ${i}` });
  const reg = await counters.registerCounter(admin, { counterId: id, hallId: HALL, regionCode: APPLICANT_REGION, name: `压测窗口 ${i}` });
  const { deviceToken } = await counters.activate({ token: tokenOf(reg.activationUrl.replace('#activate=', '#')) });
  return `${cookies.device}=${deviceToken}`;
}

/** Runs `make(i)` for i < n, `width` at a time. */
async function inParallel<T>(n: number, width: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i += width) out.push(...(await Promise.all(Array.from({ length: Math.min(width, n - i) }, (_, j) => make(i + j)))));
  return out;
}

/** Starts the measured node process and resolves once it listens. */
async function startNode(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const child = spawn(process.execPath, ['--expose-gc', ...(process.env.NODE_FLAGS?.split(' ') ?? []), '--conditions=source', '--import', 'tsx', 'bench/wsScaleNode.ts'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  // Its log (warnings only) goes to our stderr: stdout carries the one JSON line.
  child.stdout!.pipe(process.stderr);
  child.stderr!.pipe(process.stderr);
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`node process exited with ${code} before listening`)));
    child.on('message', (m: NodeMessage) => m.type === 'ready' && resolve(m.url));
  });
  return { child, url };
}

/** The node's memory (after a full GC), sockets and descriptors. */
function statsOf(child: ChildProcess): Promise<NodeStats> {
  return new Promise((resolve, reject) => {
    const exited = (code: number | null) => reject(new Error(`node process exited with ${code} during the run`));
    const listener = (m: NodeMessage) => {
      if (m.type !== 'stats') return;
      child.off('message', listener);
      child.off('exit', exited);
      resolve(m);
    };
    child.on('message', listener);
    child.once('exit', exited);
    child.send({ type: 'stats' });
  });
}

/** Opens `specs` in batches; clerks subscribe to their queue. Returns the sockets and connect times. */
async function openSockets(
  specs: SocketSpec[],
  url: string,
  origin: string,
): Promise<{ sockets: BenchSocket[]; clerks: BenchSocket[]; counters: BenchSocket[]; connectMs: number[] }> {
  const sockets: BenchSocket[] = [];
  const clerks: BenchSocket[] = [];
  const counters: BenchSocket[] = [];
  const connectMs: number[] = [];
  for (let i = 0; i < specs.length; i += RAMP_BATCH) {
    await Promise.all(
      specs.slice(i, i + RAMP_BATCH).map(async (spec) => {
        const { socket, ms } = await BenchSocket.open(url, origin, spec.cookie);
        connectMs.push(ms);
        sockets.push(socket);
        if (spec.clerk) {
          await socket.request('queue.subscribe');
          clerks.push(socket);
        } else counters.push(socket);
      }),
    );
  }
  return { sockets, clerks, counters, connectMs };
}

/** Closes sockets and waits until the node holds none. */
async function closeSockets(sockets: BenchSocket[], child: ChildProcess): Promise<void> {
  await Promise.all(sockets.map((s) => new Promise((resolve) => (s.ws.once('close', resolve), s.ws.close()))));
  for (let i = 0; i < 50 && (await statsOf(child)).sockets > 0; i++) await sleep(200);
}

/** Pings from `sample`, paced at REQUEST_RATE_PER_S: `count` of them, or until `stop()`; their round trips in ms. */
async function pingLatencies(sample: BenchSocket[], count: number, stop: () => boolean = () => false): Promise<number[]> {
  const out: number[] = [];
  const inflight: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < count && !stop(); i++) {
    const wait = start + (i * 1000) / REQUEST_RATE_PER_S - performance.now();
    if (wait >= 1) await sleep(wait);
    inflight.push(sample[i % sample.length]!.request('ping').then((r) => void out.push(r.ms)));
  }
  await Promise.all(inflight);
  return out;
}

/**
 * `triggers` queue changes by `counter` (join, leave, join…): per clerk, from the trigger to its
 * `queue.changed`, and to the answer of the `queue.subscribe` its page sends on it.
 */
async function queueChanges(counter: BenchSocket, clerks: BenchSocket[], triggers: number): Promise<{ fanoutMs: number[]; refreshMs: number[]; triggerMs: number[] }> {
  const fanoutMs: number[] = [];
  const refreshMs: number[] = [];
  const triggerMs: number[] = [];
  let caseId: string | undefined;
  for (let k = 0; k < triggers; k++) {
    let t0 = 0;
    let refreshed = 0;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`trigger ${k}: ${refreshed}/${clerks.length} clerks saw the queue change within 30 s`)), 30_000);
      for (const clerk of clerks) {
        clerk.onQueueChanged = (at) => {
          clerk.onQueueChanged = undefined;
          fanoutMs.push(at - t0);
          // Re-read after this turn of the loop: the notifications read with this one are timed first.
          setImmediate(() =>
            clerk.request('queue.subscribe').then(() => {
              refreshMs.push(performance.now() - t0);
              if (++refreshed < clerks.length) return;
              clearTimeout(timer);
              resolve();
            }, reject),
          );
        };
      }
    });
    t0 = performance.now();
    const answer = caseId
      ? await counter.request('queue.leave', { caseId })
      : await counter.request('queue.join', {
          partnershipId: PARTNERSHIP,
          itemCode: ITEM,
          applicant: { name: '陈桂香', idNumber: withCheckDigit('34152219560303222') },
          recordingConsent: { noticeVersion: RECORDING_NOTICE_VERSION },
        });
    triggerMs.push(answer.ms);
    caseId = caseId ? undefined : (answer.data as { id: string }).id;
    await done;
    // Let the node go quiet before the next change.
    await sleep(300);
  }
  if (caseId) await counter.request('queue.leave', { caseId });
  return { fanoutMs, refreshMs, triggerMs };
}

const nofileLimit = raiseFileLimit(NOFILE);
const setupStarted = performance.now();
const t = await startTestNode();
const webRoot = await mkdtemp(path.join(os.tmpdir(), 'rvw-ws-scale-web-'));
let child: ChildProcess | undefined;
try {
  // Principals, made with the setup node's services; then it stops, leaving Redis and the data.
  const nodeEnv: Record<string, string> = {
    RVW_HTTP_PORT: String(await freePort()),
    RVW_HTTP_HOST: '127.0.0.1',
    RVW_REDIS_URL: t.redis.url,
    RVW_DATA_DIR: t.dataDir,
    RVW_PKI_DIR: t.node.configPkiDir,
    RVW_WEB_ROOT: webRoot,
    RVW_LOG_LEVEL: 'warn',
    RVW_SFU_WORKERS: '1',
    RVW_RECORDING: 'off',
  };
  const perPrincipal = loadConfig(nodeEnv).budgets.socketsPerPrincipal;
  // The harness's administrator (enrolled with a passkey) invites the clerks and registers the counters.
  const admin = (await t.admin.call<{ principal: Principal }>('GET', '/api/auth/me')).data.principal;
  const counterSockets = SOCKETS - CLERK_SOCKETS;
  const clerkCookies = await inParallel(Math.ceil(CLERK_SOCKETS / perPrincipal), 16, (i) => enrolClerk(t, admin, i));
  const counterCookies = await inParallel(Math.ceil(counterSockets / perPrincipal), 16, (i) => activateCounter(t, admin, i));
  await t.node.close();
  // The pages are not served in this bench: the node only checks that a build is there.
  await mkdir(path.join(webRoot, 'public'));
  await writeFile(path.join(webRoot, 'public', 'login.html'), '<!doctype html>');
  // Counter sockets first: the first one is the counter whose case moves the queue.
  const specs: SocketSpec[] = [
    ...Array.from({ length: counterSockets }, (_, i) => ({ cookie: counterCookies[i % counterCookies.length]!, clerk: false })),
    ...Array.from({ length: CLERK_SOCKETS }, (_, i) => ({ cookie: clerkCookies[i % clerkCookies.length]!, clerk: true })),
  ];
  const node = await startNode(nodeEnv);
  child = node.child;
  const wsUrl = `${node.url.replace(/^http/, 'ws')}/ws`;
  const setupS = (performance.now() - setupStarted) / 1000;

  // Warm-up: a few sockets through every measured path (code compiled, Redis structures made).
  const warmSpecs = [...specs.slice(0, WARMUP_SOCKETS / 2), ...specs.slice(counterSockets, counterSockets + WARMUP_SOCKETS / 2)];
  const warm = await openSockets(warmSpecs, wsUrl, node.url);
  const baselineRequests = await pingLatencies(warm.sockets, REQUESTS);
  await queueChanges(warm.counters[0]!, warm.clerks, 2);
  await closeSockets(warm.sockets, child);
  const before = await statsOf(child);

  const rampStarted = performance.now();
  const { sockets, clerks, counters, connectMs } = await openSockets(specs, wsUrl, node.url);
  const openS = (performance.now() - rampStarted) / 1000;
  const after = await statsOf(child);
  const step = Math.max(1, Math.floor(sockets.length / REQUEST_SAMPLE));
  const sample = sockets.filter((_, i) => i % step === 0);
  const requests = await pingLatencies(sample, REQUESTS);
  // The same pings go on while the queue changes: what a bystander sees of the fan-out and re-reads.
  let changing = true;
  const [changes, requestsDuringFanout] = await Promise.all([
    queueChanges(counters[0]!, clerks, TRIGGERS).finally(() => (changing = false)),
    pingLatencies(sample, Number.POSITIVE_INFINITY, () => !changing),
  ]);
  const { fanoutMs, refreshMs, triggerMs } = changes;
  const afterTraffic = await statsOf(child);
  await closeSockets(sockets, child);

  const round = (x: number) => Math.round(x * 10) / 10;
  const perSocket = (a: number, b: number) => Math.round((a - b) / SOCKETS);
  printResult({
    bench: 'ws-scale',
    node: 'separate_process',
    sockets: SOCKETS,
    node_sockets: after.sockets,
    clerk_sockets: CLERK_SOCKETS,
    counter_sockets: counterSockets,
    principals: clerkCookies.length + counterCookies.length,
    sockets_per_principal_max: perPrincipal,
    rss_bytes_per_socket: perSocket(after.memory.rss, before.memory.rss),
    heap_used_bytes_per_socket: perSocket(after.memory.heapUsed, before.memory.heapUsed),
    rss_bytes_per_socket_after_traffic: perSocket(afterTraffic.memory.rss, before.memory.rss),
    heap_used_bytes_per_socket_after_traffic: perSocket(afterTraffic.memory.heapUsed, before.memory.heapUsed),
    baseline_rss_bytes: before.memory.rss,
    rss_bytes: after.memory.rss,
    request: 'ping',
    request_rate_per_s: REQUEST_RATE_PER_S,
    request_samples: requests.length,
    request_p50_ms: round(percentile(requests, 50)),
    request_p99_ms: round(percentile(requests, 99)),
    request_max_ms: round(Math.max(...requests)),
    request_during_fanout_p99_ms: round(percentile(requestsDuringFanout, 99)),
    request_during_fanout_max_ms: round(Math.max(...requestsDuringFanout)),
    baseline_sockets: warm.sockets.length,
    baseline_request_p50_ms: round(percentile(baselineRequests, 50)),
    baseline_request_p99_ms: round(percentile(baselineRequests, 99)),
    fanout_triggers: TRIGGERS,
    fanout_clerks: clerks.length,
    fanout_p50_ms: round(percentile(fanoutMs, 50)),
    fanout_p99_ms: round(percentile(fanoutMs, 99)),
    fanout_max_ms: round(Math.max(...fanoutMs)),
    node_route_p50_ms: round(percentile(afterTraffic.queueRouteMs, 50)),
    node_route_max_ms: round(Math.max(...afterTraffic.queueRouteMs)),
    trigger_request_p50_ms: round(percentile(triggerMs, 50)),
    refresh_p50_ms: round(percentile(refreshMs, 50)),
    refresh_p99_ms: round(percentile(refreshMs, 99)),
    open_s: round(openS),
    connect_p50_ms: round(percentile(connectMs, 50)),
    connect_p99_ms: round(percentile(connectMs, 99)),
    node_fds: after.fds,
    nofile_limit: nofileLimit,
    socket_errors: BenchSocket.errors,
    setup_s: round(setupS),
  });
} finally {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.send({ type: 'stop' });
    await Promise.race([exited, sleep(10_000).then(() => child!.kill('SIGKILL'))]);
  }
  await t.dispose();
  await rm(webRoot, { recursive: true, force: true });
}
