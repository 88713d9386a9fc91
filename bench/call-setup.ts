/**
 * bench/call-setup: N sequential calls between a counter and a clerk in two headless Debian
 * Chromiums through a real regional node (real Redis, real mediasoup worker). For each call it
 * measures, from the clerk's accept request to the first decoded video frame on both sides, and
 * the phases in between (signaling answer, transports connected, first frames). Prints one JSON
 * line. Goal: p50 ≤ 300 ms on loopback. As the pages do, the clerk's desk is connected (media held
 * back) before the case comes in, and the counter connects its media (held back) while its case
 * waits in the queue; the clerk accepts after that.
 *
 *   npm run bench:call-setup            (CALLS=10 by default)
 *   RECORDING=on npm run bench:call-setup   (the node records every call, as in production:
 *                                        the recorder is armed on the accept's path)
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { isDeskId } from '@rvw/signaling/calls/CallService';
import { launchChromium } from '../test/harness/browser';
import { collectPageLog } from '../test/harness/callPages';
import { startTestNode } from '../test/harness/testNode';
import { applyCaptureOption, measureCallSetup, reportPages, serverRequestMs, summarize } from './callSetupMeasure';
import { printResult } from './runBench';

const CALLS = Number(process.env.CALLS ?? 10);
/**
 * How long the applicant waits in the queue before the clerk accepts (not measured). Real waits
 * are minutes; what matters is that the counter page has finished starting up (cameras, encoders,
 * its held-back connection), as it has long before a real clerk clicks 受理. QUEUE_WAIT_MS=0
 * accepts the moment the counter's connection is up, and measures its start-up too.
 */
const QUEUE_WAIT_MS = Number(process.env.QUEUE_WAIT_MS ?? 2000);

// The production worker count (one per core), not the single worker the tests economise on.
// The bench scrapes /metrics like the monitoring system does: with the configured token.
const METRICS_TOKEN = randomBytes(24).toString('hex');
// The test harness turns recording off; RECORDING=on measures the start as a production node has
// it (recording is on by default there), with its recorders kept warm while the desk is open.
const RECORDING = process.env.RECORDING === 'on';
const t = await startTestNode({ env: { RVW_SFU_WORKERS: String(os.availableParallelism()), RVW_METRICS_TOKEN: METRICS_TOKEN, ...(RECORDING ? { RVW_RECORDING: 'on' } : {}) } });
const clerkAuth = await t.clerk('341522', ['000117005000', '000117013000', '000117009000'], '霍邱窗口');
const counterAuth = await t.counter('wujiang-kyth-01');
const counterBrowser = await launchChromium();
const clerkBrowser = await launchChromium();
await t.addCookie(counterBrowser.context, counterAuth.cookie);
await t.addCookie(clerkBrowser.context, clerkAuth.cookie);
const counter = await counterBrowser.context.newPage();
const clerk = await clerkBrowser.context.newPage();
await applyCaptureOption([counter, clerk]);

const pageLogs = [collectPageLog(counter, 'counter'), collectPageLog(clerk, 'clerk')];

try {
  const samples = await measureCallSetup(counter, clerk, {
    calls: CALLS,
    queueWaitMs: QUEUE_WAIT_MS,
    counterUrl: `${t.origin}/counter.html`,
    clerkUrl: `${t.origin}/clerk.html`,
    callGone: () => !t.node.registry.all().some((s) => !isDeskId(s.id)),
  });
  if (process.env.DEBUG_MARKS) {
    // Server-side time per request type (mean), from the node's own /metrics.
    const text = await (await fetch(`${t.origin}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    process.stderr.write(`server ms/request: ${JSON.stringify(serverRequestMs(text))}\n`);
  }
  printResult({
    bench: 'call-setup',
    calls: CALLS,
    queue_wait_ms: QUEUE_WAIT_MS,
    recording: RECORDING,
    ...(process.env.CAPTURE ? { capture: process.env.CAPTURE } : {}),
    ...summarize(samples),
  });
} catch (e) {
  await reportPages(pageLogs, [['counter', counter], ['clerk', clerk]]);
  throw e;
} finally {
  await counterBrowser.close();
  await clerkBrowser.close();
  await t.dispose();
}
