import WebSocket from 'ws';
import { CaseStore } from '@rvw/signaling/cases/CaseStore';
import { REQUEST_TYPES, type RequestType } from '@rvw/protocol/messages';
import { percentile } from '../../../bench/runBench';
import { startTestNode, type TestNode } from '../../harness/testNode';
import { FAKE_DTLS, HUOQIU, ITEM_CERT, ITEM_X, PARTNERSHIP, TINY_PNG_BASE64, WUJIANG, applicant, opusRtpParameters } from './fixtures';
import { WsClient } from './wsClient';

/** What a fuzz run found; the goals are in the comments. */
export interface FuzzResult {
  frames: number;
  /** Frames without a response (goal 0). */
  unanswered: number;
  /** Responses with code INTERNAL (goal 0). */
  internal_errors: number;
  /** Uncaught exceptions, unhandled rejections and media worker deaths during the run (goal 0). */
  crashes: number;
  /** Audit events written by refused frames (goal 0), see {@link runFuzz}. */
  rejected_frames_that_wrote: number;
  /** The bystander's ping round trip while the flood runs (goal ≤ 20 ms). */
  bystander_p99_ms: number;
  bystander_p50_ms: number;
  /** The same bystander's round trip just before the flood, on the same node and machine: what the flood is compared with. */
  bystander_quiet_p99_ms: number;
  /** Pings of the bystander answered with an error during the flood (it must never be refused). */
  bystander_failed_pings: number;
  rss_before_mb: number;
  rss_after_mb: number;
  /** How the answers were spread: ok, RATE_LIMITED and the error codes seen. */
  ok: number;
  rate_limited: number;
  codes: Record<string, number>;
  seconds: number;
}

/** Where valid requests point: the fuzzers' own call and objects. */
interface Targets {
  caseId: string;
  version: () => number;
  peerId: string;
  transportId: string;
  producerId: string;
  consumerId: string;
  /** A case of two other parties (every frame at it must be refused). */
  foreignCaseId: string;
  foreignTransportId: string;
}

/**
 * A valid request of each type (before mutation). The mapped type makes a new request type a
 * compile error here until the fuzzer knows how to build it.
 */
const TEMPLATES: { [T in RequestType]: (x: Targets) => Record<string, unknown> } = {
  'session.join': (x) => ({ sessionId: x.caseId, peerId: x.peerId, resumeTransportIds: [x.transportId] }),
  'desk.join': (x) => ({ peerId: `${x.peerId}-desk` }),
  'session.link': (x) => ({ sessionId: x.caseId }),
  'session.leave': () => ({}),
  'session.end': () => ({}),
  getRouterRtpCapabilities: () => ({}),
  createWebRtcTransport: () => ({ direction: 'recv' }),
  openDataChannel: (x) => ({ transportId: x.transportId }),
  connectTransport: (x) => ({ transportId: x.transportId, dtlsParameters: FAKE_DTLS }),
  produce: (x) => ({ transportId: x.transportId, kind: 'audio', rtpParameters: opusRtpParameters(9000), source: 'screen' }),
  closeProducer: (x) => ({ producerId: x.producerId }),
  consume: (x) => ({ transportId: x.transportId, producerId: x.producerId, rtpCapabilities: { codecs: [] } }),
  resumeConsumer: (x) => ({ consumerId: x.consumerId }),
  restartIce: (x) => ({ transportId: x.transportId }),
  'queue.join': () => ({ partnershipId: PARTNERSHIP, itemCode: ITEM_X, applicant: applicant() }),
  'queue.leave': (x) => ({ caseId: x.caseId }),
  'queue.subscribe': () => ({}),
  'queue.accept': (x) => ({ caseId: x.caseId }),
  'clerk.availability': () => ({}),
  // Nobody by that id: the holder's transfer is refused (a real one would take the case away mid-flood).
  'case.transfer': (x) => ({ caseId: x.caseId, toStaffId: 'no-such-clerk', note: '转交同事办理' }),
  'clerk.colleagues': (x) => ({ caseId: x.caseId }),
  'case.get': (x) => ({ caseId: x.caseId }),
  'case.update': (x) => ({ caseId: x.caseId, expectedVersion: x.version(), fields: { contactPhone: '13800000000' } }),
  'case.transition': (x) => ({ caseId: x.caseId, expectedVersion: x.version(), to: 'suspended', reason: '测试' }),
  'material.capture': (x) => ({ caseId: x.caseId, mime: 'image/png', dataBase64: TINY_PNG_BASE64 }),
  'material.waive': (x) => ({ caseId: x.caseId, materialId: 'id_card', note: '容缺', deadline: '2099-01-01' }),
  'document.issue': (x) => ({ caseId: x.caseId, docType: 'receipt' }),
  'chat.send': (x) => ({ caseId: x.caseId, text: '您好' }),
  'signature.submit': (x) => ({ caseId: x.caseId, pngBase64: TINY_PNG_BASE64 }),
  'rating.submit': (x) => ({ caseId: x.caseId, target: 'clerk', score: 5 }),
  'doc.marks': (x) => ({ caseId: x.caseId, marks: [{ points: [[0.2, 0.3], [0.6, 0.7]] }] }),
  'call.mode': (x) => ({ caseId: x.caseId, proposed: 'document_first', measured: { availableKbps: 420, lossPct: 3.5, rttMs: 180 } }),
  // Not the case's applicant (IDENTITY_CARD_NOT_APPLICANT) unless a mutation hits the right name and number.
  'identity.card': (x) => ({ caseId: x.caseId, card: { name: '王某某', idNumber: '110101199003074573', photoBase64: '/9j/4AAQSkZJRgABAQ==', sample: true } }),
  'identity.photo': (x) => ({ caseId: x.caseId }),
  'identity.verify': (x) => ({ caseId: x.caseId, result: 'match' }),
  'form.set': (x) => ({ caseId: x.caseId, key: 'bank_name', value: '中国农业银行霍邱县支行', expectedRev: 0 }),
  ping: () => ({}),
  'cluster.nodes': () => ({}),
};

/** Request types covered by the templates (the test checks they are all of REQUEST_TYPES). */
export const FUZZED_TYPES = Object.keys(TEMPLATES) as RequestType[];

/** A small deterministic PRNG (mulberry32): a failing run can be replayed with its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOSTILE_VALUES: unknown[] = [
  null, -1, 0, 1.5, 2 ** 53, '', ' ', 'x'.repeat(5000), '__proto__', 'constructor', '../../etc/passwd', '<script>alert(1)</script>',
  '\u0000', '\ud800', '🙂'.repeat(100), true, [], [[[[[[]]]]]], {}, JSON.parse('{"__proto__":{"polluted":1}}') as unknown, { $gt: '' }, '1e309', 'NaN',
];

/** One hostile frame mutated from a valid request of `type`; `foreign` ones aim at the other parties' case. */
function mutate(rand: () => number, type: RequestType, x: Targets, id: number): { text: string; foreign: boolean } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const body: Record<string, unknown> = { id, type, ...TEMPLATES[type](x) };
  let foreign = false;
  const fields = Object.keys(body).filter((k) => k !== 'id' && k !== 'type');
  const op = Math.floor(rand() * 9);
  switch (op) {
    case 0: // drop a field
      if (fields.length) delete body[pick(fields)];
      break;
    case 1: // a hostile value in a field
      body[fields.length ? pick(fields) : 'extra'] = pick(HOSTILE_VALUES);
      break;
    case 2: // an unknown field
      body[pick(['admin', '__proto__', 'role', 'servingRegion', 'x'.repeat(300)])] = pick(HOSTILE_VALUES);
      break;
    case 3: // another type with these fields
      body.type = pick([...REQUEST_TYPES, 'Ping', 'ping ', 'case.delete', '']);
      break;
    case 4: // the other parties' case and objects
      foreign = true;
      for (const k of fields) {
        if (k === 'caseId' || k === 'sessionId') body[k] = x.foreignCaseId;
        if (k === 'transportId') body[k] = x.foreignTransportId;
      }
      break;
    case 5: // a hostile id
      body.id = pick([null, -1, 1.5, 'x'.repeat(65), {}, [], true]);
      break;
    case 6: { // truncated text
      const text = JSON.stringify(body);
      return { text: text.slice(0, Math.floor(rand() * text.length)), foreign: false };
    }
    case 7: // a nested field goes deep or wide
      body[fields.length ? pick(fields) : 'extra'] = rand() < 0.5 ? JSON.parse('['.repeat(40) + ']'.repeat(40)) : Array.from({ length: 2000 }, (_, i) => i);
      break;
    default: // left valid: the handlers decide
      break;
  }
  if (foreign) body.caseId ??= x.foreignCaseId;
  return { text: JSON.stringify(body), foreign: foreign && ('caseId' in body || 'sessionId' in body) };
}

/** Audit events of a case (each committed write appends one). */
async function events(t: TestNode, caseId: string): Promise<number> {
  return t.node.redis.xLen(CaseStore.keysOf(caseId).events);
}

/** Request types that write the case record (one audit event each) when they succeed. */
const WRITES = new Set<string>(['queue.accept', 'case.update', 'case.transition', 'material.capture', 'material.waive', 'document.issue', 'chat.send', 'signature.submit', 'rating.submit', 'queue.leave', 'call.mode', 'identity.card', 'identity.verify', 'form.set']);

/**
 * Floods a real node with `frames` hostile frames mutated from valid requests of every type, sent
 * by an authenticated counter and the clerk holding its case (each keeps `window` frames in flight
 * on one socket), while a bystander (another region's clerk) pings and measures its round trip.
 *
 * `rejected_frames_that_wrote`: frames at the other parties' case are all refused, so any audit
 * event it gained was written by a refused frame; on the fuzzers' own case, audit events beyond
 * the number of successful writing requests were too.
 *
 * `requestsPerSecond` raises the principals' request budget so the frames reach validation and
 * the handlers instead of stopping at the rate limit; without it the default budgets apply, and
 * with `counterOnly` the run is the one-principal flood the bystander's goal is stated for.
 */
export async function runFuzz(opts: { frames: number; window?: number; seed?: number; requestsPerSecond?: number; counterOnly?: boolean }): Promise<FuzzResult> {
  const window = opts.window ?? 32;
  const rand = prng(opts.seed ?? 12);
  let crashes = 0;
  const onCrash = () => (crashes += 1);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  // Without `requestsPerSecond` the node's default budgets apply (what production runs with).
  const t = await startTestNode(
    opts.requestsPerSecond ? { env: { RVW_BUDGET_REQUESTS_PER_SECOND: String(opts.requestsPerSecond), RVW_BUDGET_REQUEST_BURST: String(opts.requestsPerSecond) } } : {},
  );
  try {
    const counterCookie = `rvw_dev=${(await t.counter('wujiang-kyth-01')).cookie.value}`;
    const clerkCookie = `rvw_sid=${(await t.clerk(HUOQIU, [ITEM_X], '霍邱窗口 模糊')).cookie.value}`;
    const counter = await WsClient.connect(t.origin, counterCookie);
    const clerk = await WsClient.connect(t.origin, clerkCookie);
    // The other parties: 霍邱's counter and 吴江's clerk, with a call of their own.
    const otherCounter = await WsClient.connect(t.origin, `rvw_dev=${(await t.counter('huoqiu-kyth-01')).cookie.value}`);
    const otherClerk = await WsClient.connect(t.origin, `rvw_sid=${(await t.clerk(WUJIANG, [ITEM_CERT], '吴江窗口 旁观')).cookie.value}`);
    const foreignCaseId = (await otherCounter.call('queue.join', { partnershipId: PARTNERSHIP, itemCode: ITEM_CERT, applicant: applicant() })).id;
    await otherClerk.call('queue.accept', { caseId: foreignCaseId });
    await otherCounter.call('session.join', { sessionId: foreignCaseId, peerId: 'other-counter' });
    const foreignTransportId = (await otherCounter.call('createWebRtcTransport', { direction: 'send' })).id;

    const caseId = (await counter.call('queue.join', { partnershipId: PARTNERSHIP, itemCode: ITEM_X, applicant: applicant() })).id;
    await clerk.call('queue.accept', { caseId });
    const targets = async (c: WsClient, peerId: string): Promise<Targets> => {
      await c.call('session.join', { sessionId: caseId, peerId });
      const send = await c.call('createWebRtcTransport', { direction: 'send' });
      const producerId = (await c.call('produce', { transportId: send.id, kind: 'audio', rtpParameters: opusRtpParameters(peerId.length * 1000 + 7), source: 'mic' })).producerId;
      let version = (await t.node.cases.getCase(caseId)).version;
      const refresh = setInterval(() => void t.node.cases.getCase(caseId).then((r) => (version = r.version), () => undefined), 50);
      refresh.unref();
      return { caseId, version: () => version, peerId, transportId: send.id, producerId, consumerId: 'unknown-consumer', foreignCaseId, foreignTransportId };
    };
    const xs = [await targets(counter, 'fuzz-counter'), await targets(clerk, 'fuzz-clerk')];
    const bystander = await WsClient.connect(t.origin, t.admin.cookieHeader);
    const foreignBefore = await events(t, foreignCaseId);
    const ownBefore = await events(t, caseId);
    const workerDeathsBefore = (await t.node.metrics.sfuWorkerDeaths.get()).values[0]?.value ?? 0;
    const rssBefore = process.memoryUsage().rss;

    const codes: Record<string, number> = {};
    let ok = 0, rateLimited = 0, internal = 0, answered = 0, sent = 0, okWrites = 0;
    const started = performance.now();
    const perSocket = opts.counterOnly ? opts.frames : Math.ceil(opts.frames / 2);
    const flood = (client: WsClient, x: Targets) =>
      new Promise<void>((resolve) => {
        const socket = client.socket;
        let mine = 0, back = 0;
        // The type of each frame by its id: an ok answer always carries the id it was sent with.
        const typeOf = new Map<number, string>();
        const next = () => {
          if (mine >= perSocket || socket.readyState !== WebSocket.OPEN) return;
          const type = FUZZED_TYPES[Math.floor(rand() * FUZZED_TYPES.length)]!;
          mine += 1;
          const frame = mutate(rand, type, x, mine);
          try {
            const parsed = JSON.parse(frame.text) as { id?: unknown; type?: unknown };
            if (typeof parsed.id === 'number' && typeof parsed.type === 'string') typeOf.set(parsed.id, parsed.type);
          } catch {
            // Truncated text: never ok.
          }
          sent += 1;
          socket.send(frame.text);
        };
        const onMessage = (data: WebSocket.RawData) => {
          const m = JSON.parse(data.toString()) as { type: string; id?: unknown; ok?: boolean; error?: { code: string } };
          if (m.type !== 'response') return;
          back += 1;
          answered += 1;
          // The client's inbox keeps every frame; emptied so RSS measures the server, not the harness.
          if (back % 500 === 0) client.inbox.length = 0;
          if (m.ok) {
            ok += 1;
            if (typeof m.id === 'number' && WRITES.has(typeOf.get(m.id) ?? '')) okWrites += 1;
          } else {
            const code = m.error?.code ?? '?';
            codes[code] = (codes[code] ?? 0) + 1;
            if (code === 'RATE_LIMITED') rateLimited += 1;
            if (code === 'INTERNAL') internal += 1;
          }
          if (mine < perSocket) next();
          else if (back >= mine) done();
        };
        const done = () => {
          socket.off('message', onMessage);
          clearTimeout(stall);
          resolve();
        };
        // A frame never answered must not hang the run: it is counted as unanswered.
        const stall = setTimeout(done, Math.max(60_000, perSocket * 5));
        socket.on('message', onMessage);
        socket.once('close', done);
        for (let i = 0; i < window; i++) next();
      });

    // The bystander's round trip before the flood: the machine's own noise, measured in this run.
    const quiet: number[] = [];
    for (let i = 0; i < 150; i++) {
      const t0 = performance.now();
      if ((await bystander.request('ping')).ok) quiet.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 5));
    }
    const latencies: number[] = [];
    let bystanderFailed = 0;
    let flooding = true;
    const measure = (async () => {
      while (flooding) {
        const t0 = performance.now();
        const r = await bystander.request('ping');
        if (r.ok) latencies.push(performance.now() - t0);
        else bystanderFailed += 1;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await Promise.all(opts.counterOnly ? [flood(counter, xs[0]!)] : [flood(counter, xs[0]!), flood(clerk, xs[1]!)]);
    flooding = false;
    await measure;
    const seconds = (performance.now() - started) / 1000;
    // Give late notifications and writes a moment, then compare.
    await new Promise((r) => setTimeout(r, 300));
    const foreignGrowth = (await events(t, foreignCaseId)) - foreignBefore;
    const ownGrowth = (await events(t, caseId)) - ownBefore;
    const workerDeaths = ((await t.node.metrics.sfuWorkerDeaths.get()).values[0]?.value ?? 0) - workerDeathsBefore;
    for (const c of [counter, clerk]) c.inbox.length = 0;
    const rssAfter = process.memoryUsage().rss;
    // Everyone else still served.
    const alive = (await otherClerk.request('case.get', { caseId: foreignCaseId })).ok && (await bystander.request('ping')).ok;
    for (const c of [counter, clerk, otherCounter, otherClerk, bystander]) await c.close();
    return {
      frames: sent,
      unanswered: sent - answered,
      internal_errors: internal,
      crashes: crashes + workerDeaths + (alive ? 0 : 1),
      rejected_frames_that_wrote: foreignGrowth + Math.max(0, ownGrowth - okWrites),
      bystander_p99_ms: Math.round(percentile(latencies, 99) * 10) / 10,
      bystander_p50_ms: Math.round(percentile(latencies, 50) * 10) / 10,
      bystander_quiet_p99_ms: Math.round(percentile(quiet, 99) * 10) / 10,
      bystander_failed_pings: bystanderFailed,
      rss_before_mb: Math.round(rssBefore / 1048576),
      rss_after_mb: Math.round(rssAfter / 1048576),
      ok,
      rate_limited: rateLimited,
      codes,
      seconds: Math.round(seconds * 10) / 10,
    };
  } finally {
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    await t.dispose();
  }
}
