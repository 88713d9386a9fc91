/**
 * bench:cross-region: the accept → first-frame measure of bench:call-setup (the same walk and
 * figures, bench/callSetupMeasure.ts) with the counter and the clerk on two node processes in two
 * network namespaces 30 ms apart (15 ms each way; test/harness/netns), against a same-node
 * baseline taken in the same sitting: calls with both pages on one node process (serving both
 * regions, in the 吴江 namespace, the same build and worker count) and calls with the counter on
 * the 吴江 node and the clerk on the 霍邱 node, interleaved in blocks of BLOCK calls (ABBA: each
 * round swaps which goes first), so the machine's drift over minutes falls on both alike. Only
 * one setup has pages at a time: a node with no page takes no part in the other's calls. Prints
 * one JSON line: p50/p95 of both, the measured round trip and what crossing nodes costs over the
 * baseline, in ms and in RTTs — as the difference of the two p50s and as the median over rounds of
 * each round's difference (`cost_paired_median_ms`: the machine's drift over the run falls less on
 * it). Goal (#14): p50 ≤ 300 ms, about one RTT over the same-node start.
 * Needs root and `npm run build:server` (run first).
 *
 *   npm run bench:cross-region            (CALLS=10 of each, BLOCK=2 by default)
 */
import { launchChromium } from '../test/harness/browser';
import { collectPageLog, waitMarks } from '../test/harness/callPages';
import { metricValue, type NsNode } from '../test/harness/netns/nsNode';
import { HUOQIU, WUJIANG, startTwoRegionCluster } from '../test/harness/netns/twoRegionCluster';
import { applyCaptureOption, measureCallSetup, reportPages, serverRequestMs, summarize, type CallSetupSamples } from './callSetupMeasure';
import { mean, percentile, printResult } from './runBench';

const CALLS = Number(process.env.CALLS ?? 10);
/** As in bench:call-setup: the applicant's wait in the queue before the accept (not measured). */
const QUEUE_WAIT_MS = Number(process.env.QUEUE_WAIT_MS ?? 2000);
/** Calls per block; blocks of the two setups alternate. */
const BLOCK = Math.max(1, Math.min(CALLS, Number(process.env.BLOCK ?? 2)));
/** The baseline node's port, in the 吴江 namespace next to the 吴江 node. */
const BASELINE_PORT = 8081;

// Workers: one per core on each node (the production default), as bench:call-setup's node has.
const c = await startTwoRegionCluster({ extraPorts: [BASELINE_PORT] });
const rttMs = await c.net.pingRttMs(20);
const both = await c.startNode(c.net.wj, `both-${process.pid}`, `${WUJIANG},${HUOQIU}`, BASELINE_PORT);
// Two clerks, one per setup, each handling an item of its own: a desk prepares the calls at the
// head of ITS queue (#14), so neither desk takes part in the other setup's calls.
const SAME_NODE_ITEM = { code: '000117013000', name: '参保缴费证明开具' };
const CROSS_ITEM = { code: '000117009000', name: '社会保险关系转移接续' };
const sameClerkAuth = await c.setup.clerk(HUOQIU, [SAME_NODE_ITEM.code], '霍邱窗口 同节点');
const crossClerkAuth = await c.setup.clerk(HUOQIU, [CROSS_ITEM.code], '霍邱窗口 跨节点');
const counterAuth = await c.setup.counter('wujiang-kyth-01');
// A browser per page, each its own foreground window (a background tab would be throttled).
const counterBrowser = await launchChromium(c.chromiumArgs);
const sameClerkBrowser = await launchChromium(c.chromiumArgs);
const crossClerkBrowser = await launchChromium(c.chromiumArgs);
// Cookies go by host: the 吴江 namespace's address serves both the 吴江 node and the baseline node.
await c.addCookie(counterBrowser.context, c.wj, counterAuth.cookie);
await c.addCookie(sameClerkBrowser.context, both, sameClerkAuth.cookie);
await c.addCookie(crossClerkBrowser.context, c.hq, crossClerkAuth.cookie);
const counter = await counterBrowser.context.newPage();
const sameClerk = await sameClerkBrowser.context.newPage();
const crossClerk = await crossClerkBrowser.context.newPage();
await applyCaptureOption([counter, sameClerk, crossClerk]);
const pageLogs = [collectPageLog(counter, 'counter'), collectPageLog(sameClerk, 'clerk (same node)'), collectPageLog(crossClerk, 'clerk (across nodes)')];
// Both desks open for the whole run, as at a real service center.
await sameClerk.goto(`${both.origin}/clerk.html`);
await crossClerk.goto(`${c.hq.origin}/clerk.html`);
for (const page of [sameClerk, crossClerk]) await waitMarks(page, ['status:connected', 'status:recv:connected']);

/** Media sessions (routers) a node holds, from its /metrics. */
const sessions = async (n: NsNode) => metricValue(await n.metrics(), 'rvw_media_sessions');
const debugServer = async (label: string, nodes: NsNode[]) => {
  if (!process.env.DEBUG_MARKS) return;
  for (const n of nodes) process.stderr.write(`${label} ${n.nodeId} server ms/request: ${JSON.stringify(serverRequestMs(await n.metrics()))}\n`);
};
const merge = (into: CallSetupSamples, s: CallSetupSamples): void => {
  for (const k of ['total', 'totalCallback', 'live', 'signaling', 'transport', 'clerkFrame', 'counterFrame', 'counterHeard', 'fullSize'] as const) into[k].push(...s[k]);
  into.blackFirst += s.blackFirst;
  into.notFullSize += s.notFullSize;
};
const empty = (): CallSetupSamples => ({ total: [], totalCallback: [], live: [], blackFirst: 0, signaling: [], transport: [], clerkFrame: [], counterFrame: [], counterHeard: [], fullSize: [], notFullSize: 0 });

try {
  const baseline = empty();
  const cross = empty();
  // Per round (one block of each setup, a minute apart at most): the cross-node block's mean less
  // the same-node block's. The machine's load drifts over a run; a difference taken within a round
  // carries less of that drift than the difference of the two whole-run p50s.
  const roundCosts: number[] = [];
  const common = (calls: number, firstCall: number) => ({ calls, firstCall, queueWaitMs: QUEUE_WAIT_MS, clerkOpen: true });
  // Same node: both pages on the baseline node; its only session between calls is its desk.
  const sameNode = (calls: number, firstCall: number) =>
    measureCallSetup(counter, sameClerk, {
      ...common(calls, firstCall),
      itemName: SAME_NODE_ITEM.name,
      counterUrl: `${both.origin}/counter.html`,
      clerkUrl: `${both.origin}/clerk.html`,
      callGone: async () => (await sessions(both)) <= 1,
    });
  // Across regions: the counter on the 吴江 node, the clerk (and its desk) on the 霍邱 node.
  const acrossNodes = (calls: number, firstCall: number) =>
    measureCallSetup(counter, crossClerk, {
      ...common(calls, firstCall),
      itemName: CROSS_ITEM.name,
      counterUrl: `${c.wj.origin}/counter.html`,
      clerkUrl: `${c.hq.origin}/clerk.html`,
      callGone: async () => (await sessions(c.wj)) === 0 && (await sessions(c.hq)) <= 1,
    });
  for (let done = 0, round = 0; done < CALLS; done += BLOCK, round++) {
    const n = Math.min(BLOCK, CALLS - done);
    const order = round % 2 === 0 ? [sameNode, acrossNodes] : [acrossNodes, sameNode];
    const blocks: Partial<Record<'same' | 'cross', CallSetupSamples>> = {};
    for (const run of order) {
      const s = await run(n, done * 2 + (run === sameNode ? 0 : n));
      blocks[run === sameNode ? 'same' : 'cross'] = s;
      merge(run === sameNode ? baseline : cross, s);
    }
    roundCosts.push(mean(blocks.cross!.total) - mean(blocks.same!.total));
  }
  await debugServer('baseline', [both]);
  await debugServer('cross-region', [c.wj, c.hq]);

  const x = summarize(cross);
  const b = summarize(baseline);
  const cost = x.p50_ms! - b.p50_ms!;
  printResult({
    bench: 'cross-region',
    calls: CALLS,
    block_calls: BLOCK,
    queue_wait_ms: QUEUE_WAIT_MS,
    ...(process.env.CAPTURE ? { capture: process.env.CAPTURE } : {}),
    delay: c.net.delayKind,
    rtt_ms: +rttMs.toFixed(1),
    p50_ms: x.p50_ms,
    p95_ms: x.p95_ms,
    baseline_p50_ms: b.p50_ms,
    baseline_p95_ms: b.p95_ms,
    p50_callback_ms: x.p50_callback_ms,
    baseline_p50_callback_ms: b.p50_callback_ms,
    cost_over_baseline_ms: cost,
    cost_over_baseline_rtts: +(cost / rttMs).toFixed(2),
    rounds: roundCosts.length,
    cost_paired_median_ms: Math.round(percentile(roundCosts, 50)),
    cost_paired_median_rtts: +(percentile(roundCosts, 50) / rttMs).toFixed(2),
    counter_heard_accept_p50_ms: x.counter_heard_accept_p50_ms,
    baseline_counter_heard_accept_p50_ms: b.counter_heard_accept_p50_ms,
    signaling_p50_ms: x.signaling_p50_ms,
    baseline_signaling_p50_ms: b.signaling_p50_ms,
    clerk_first_frame_p50_ms: x.clerk_first_frame_p50_ms,
    baseline_clerk_first_frame_p50_ms: b.clerk_first_frame_p50_ms,
    counter_first_frame_p50_ms: x.counter_first_frame_p50_ms,
    baseline_counter_first_frame_p50_ms: b.counter_first_frame_p50_ms,
    first_picture_p50_ms: x.first_picture_p50_ms,
    baseline_first_picture_p50_ms: b.first_picture_p50_ms,
    full_size_p50_ms: x.full_size_p50_ms,
    baseline_full_size_p50_ms: b.full_size_p50_ms,
    views_not_full_size_in_5s: x.views_not_full_size_in_5s,
    baseline_views_not_full_size_in_5s: b.views_not_full_size_in_5s,
    max_ms: x.max_ms,
    black_first_frames: x.black_first_frames,
  });
} catch (e) {
  await reportPages(pageLogs, [['counter', counter], ['clerk (same node)', sameClerk], ['clerk (across nodes)', crossClerk]]);
  for (const n of [c.wj, c.hq, both]) process.stderr.write(`--- ${n.nodeId} ---\n${n.log()}\n`);
  throw e;
} finally {
  await counterBrowser.close();
  await sameClerkBrowser.close();
  await crossClerkBrowser.close();
  await c.dispose();
}
