/**
 * bench:cross-region: the accept → first-frame measure of bench:call-setup (the same walk and
 * figures, bench/callSetupMeasure.ts) with the counter and the clerk on two node processes in two
 * network namespaces 30 ms apart (15 ms each way; test/harness/netns), against a same-node
 * baseline taken in the same sitting: first N calls with both pages on one node process (serving
 * both regions, in the 吴江 namespace, the same build and worker count), then N calls with the
 * counter on the 吴江 node and the clerk on the 霍邱 node. Prints one JSON line: p50/p95 of both,
 * the measured round trip and what crossing nodes costs over the baseline, in ms and in RTTs.
 * Goal (#14): p50 ≤ 300 ms, about one RTT over the same-node start. Needs root and
 * `npm run build:server` (run first).
 *
 *   npm run bench:cross-region            (CALLS=10 by default)
 */
import type { Page } from 'playwright-core';
import { launchChromium } from '../test/harness/browser';
import { collectPageLog } from '../test/harness/callPages';
import { metricValue, type NsNode } from '../test/harness/netns/nsNode';
import { HUOQIU, WUJIANG, startTwoRegionCluster } from '../test/harness/netns/twoRegionCluster';
import { applyCaptureOption, measureCallSetup, reportPages, serverRequestMs, summarize } from './callSetupMeasure';
import { printResult } from './runBench';

const CALLS = Number(process.env.CALLS ?? 10);
/** As in bench:call-setup: the applicant's wait in the queue before the accept (not measured). */
const QUEUE_WAIT_MS = Number(process.env.QUEUE_WAIT_MS ?? 2000);
/** The baseline node's port, in the 吴江 namespace next to the 吴江 node. */
const BASELINE_PORT = 8081;

// Workers: one per core on each node (the production default), as bench:call-setup's node has.
const c = await startTwoRegionCluster({ extraPorts: [BASELINE_PORT] });
const rttMs = await c.net.pingRttMs(20);
const both = await c.startNode(c.net.wj, `both-${process.pid}`, `${WUJIANG},${HUOQIU}`, BASELINE_PORT);
const clerkAuth = await c.setup.clerk(HUOQIU, ['000117005000', '000117013000', '000117009000'], '霍邱窗口');
const counterAuth = await c.setup.counter('wujiang-kyth-01');
const counterBrowser = await launchChromium(c.chromiumArgs);
const clerkBrowser = await launchChromium(c.chromiumArgs);
// Cookies go by host: the 吴江 namespace's address serves both the 吴江 node and the baseline node.
await c.addCookie(counterBrowser.context, c.wj, counterAuth.cookie);
await c.addCookie(clerkBrowser.context, both, clerkAuth.cookie);
await c.addCookie(clerkBrowser.context, c.hq, clerkAuth.cookie);
let counter = await counterBrowser.context.newPage();
let clerk = await clerkBrowser.context.newPage();
const pageLogs: string[][] = [];
const openPages = async () => {
  counter = await counterBrowser.context.newPage();
  clerk = await clerkBrowser.context.newPage();
  await applyCaptureOption([counter, clerk]);
  pageLogs.push(collectPageLog(counter, 'counter'), collectPageLog(clerk, 'clerk'));
};
await counter.close();
await clerk.close();

/** Media sessions (routers) a node holds, from its /metrics. */
const sessions = async (n: NsNode) => metricValue(await n.metrics(), 'rvw_media_sessions');
const debugServer = async (label: string, nodes: NsNode[]) => {
  if (!process.env.DEBUG_MARKS) return;
  for (const n of nodes) process.stderr.write(`${label} ${n.nodeId} server ms/request: ${JSON.stringify(serverRequestMs(await n.metrics()))}\n`);
};
const closePages = async (pages: Page[]) => {
  for (const p of pages) await p.close();
};

try {
  // Same node: both pages on the baseline node; its only session between calls is the clerk's desk.
  await openPages();
  const baseline = await measureCallSetup(counter, clerk, {
    calls: CALLS,
    queueWaitMs: QUEUE_WAIT_MS,
    counterUrl: `${both.origin}/counter.html`,
    clerkUrl: `${both.origin}/clerk.html`,
    callGone: async () => (await sessions(both)) <= 1,
  });
  await debugServer('baseline', [both]);
  await closePages([counter, clerk]);
  // Out of the registry before the cross-region calls, so nothing of it takes part in them.
  await both.stop();

  // Across regions: the counter on the 吴江 node, the clerk (and its desk) on the 霍邱 node.
  await openPages();
  const cross = await measureCallSetup(counter, clerk, {
    calls: CALLS,
    queueWaitMs: QUEUE_WAIT_MS,
    counterUrl: `${c.wj.origin}/counter.html`,
    clerkUrl: `${c.hq.origin}/clerk.html`,
    callGone: async () => (await sessions(c.wj)) === 0 && (await sessions(c.hq)) <= 1,
  });
  await debugServer('cross-region', [c.wj, c.hq]);

  const x = summarize(cross);
  const b = summarize(baseline);
  const cost = x.p50_ms! - b.p50_ms!;
  printResult({
    bench: 'cross-region',
    calls: CALLS,
    queue_wait_ms: QUEUE_WAIT_MS,
    ...(process.env.CAPTURE ? { capture: process.env.CAPTURE } : {}),
    delay: c.net.delayKind,
    rtt_ms: +rttMs.toFixed(1),
    p50_ms: x.p50_ms,
    p95_ms: x.p95_ms,
    baseline_p50_ms: b.p50_ms,
    baseline_p95_ms: b.p95_ms,
    cost_over_baseline_ms: cost,
    cost_over_baseline_rtts: +(cost / rttMs).toFixed(2),
    signaling_p50_ms: x.signaling_p50_ms,
    baseline_signaling_p50_ms: b.signaling_p50_ms,
    clerk_first_frame_p50_ms: x.clerk_first_frame_p50_ms,
    baseline_clerk_first_frame_p50_ms: b.clerk_first_frame_p50_ms,
    counter_first_frame_p50_ms: x.counter_first_frame_p50_ms,
    baseline_counter_first_frame_p50_ms: b.counter_first_frame_p50_ms,
    first_picture_p50_ms: x.first_picture_p50_ms,
    baseline_first_picture_p50_ms: b.first_picture_p50_ms,
    max_ms: x.max_ms,
    black_first_frames: x.black_first_frames,
  });
} catch (e) {
  await reportPages(pageLogs, [['counter', counter], ['clerk', clerk]]);
  for (const n of [c.wj, c.hq, both]) process.stderr.write(`--- ${n.nodeId} ---\n${n.log()}\n`);
  throw e;
} finally {
  await counterBrowser.close();
  await clerkBrowser.close();
  await c.dispose();
}
