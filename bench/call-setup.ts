/**
 * bench/call-setup: N sequential calls between a counter and a clerk in two headless Debian
 * Chromiums through a real regional node (real Redis, real mediasoup worker). For each call it
 * measures, from the clerk's accept request to the first decoded video frame on both sides, and
 * the phases in between (signaling answer, transports connected, first frames). Prints one JSON
 * line. Goal: p50 ≤ 300 ms on loopback. The counter connects its media (held back) while its case
 * waits in the queue, as the counter page does; the clerk accepts after that.
 *
 *   npm run bench:call-setup            (CALLS=10 by default)
 */
import type { Page } from 'playwright-core';
import { launchChromium } from '../test/harness/browser';
import { collectPageLog, queueFromCounter } from '../test/harness/callPages';
import { withCheckDigit } from '../test/harness/idNumber';
import { startTestNode } from '../test/harness/testNode';
import { percentile, printResult } from './runBench';

const CALLS = Number(process.env.CALLS ?? 10);

type Marks = Record<string, number>;
const marksOf = (page: Page) => page.evaluate(() => ({ ...(window as unknown as { rvw: { marks: Record<string, number> } }).rvw.marks }));

async function waitMarks(page: Page, keys: string[], timeoutMs = 20_000): Promise<Marks> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = await marksOf(page);
    if (keys.every((k) => m[k] !== undefined)) return m;
    if (Date.now() > deadline) throw new Error(`marks ${keys.join(',')} not reached: ${JSON.stringify(m)}`);
    await page.waitForTimeout(20);
  }
}

const t = await startTestNode();
const clerkAuth = await t.clerk('341522', ['000117005000', '000117013000', '000117009000'], '霍邱窗口');
const counterAuth = await t.counter('wujiang-kyth-01');
const counterBrowser = await launchChromium();
const clerkBrowser = await launchChromium();
await t.addCookie(counterBrowser.context, counterAuth.cookie);
await t.addCookie(clerkBrowser.context, clerkAuth.cookie);
const counter = await counterBrowser.context.newPage();
const clerk = await clerkBrowser.context.newPage();
const pageLogs = [collectPageLog(counter, 'counter'), collectPageLog(clerk, 'clerk')];

const total: number[] = [];
const signaling: number[] = [];
const transport: number[] = [];
const clerkFrame: number[] = [];
const counterFrame: number[] = [];
try {
  for (let i = 0; i < CALLS; i++) {
    // Fresh pages per call, as a new applicant at the counter; not part of the measurement.
    await counter.goto(`${t.origin}/counter.html`);
    await clerk.goto(`${t.origin}/clerk.html`);
    await clerk.waitForFunction(() => !!(window as unknown as { rvw?: { state: { local?: unknown } } }).rvw?.state.local);
    await queueFromCounter(counter, { name: `申请人${i}`, idNumber: withCheckDigit(`32058419600101${String(100 + i).padStart(3, '0')}`) }, '参保缴费证明开具');
    await clerk.waitForSelector('#queue button.accept');
    // A real applicant waits seconds to minutes; by then the counter has connected its media,
    // held back. Accept once that is so (the wait itself is not part of the measurement).
    await waitMarks(counter, ['status:connected']);
    await clerk.click('#queue button.accept');
    const c = await waitMarks(clerk, ['accept:sent', 'accept:answered', 'status:recv:connected', 'frame:face', 'frame:document']);
    const k = await waitMarks(counter, ['frame:face']).catch(async (e: Error) => {
      throw new Error(`call ${i + 1}: ${e.message}; counter calls: ${JSON.stringify(await counter.evaluate(() => (window as unknown as { rvw: { call?: { counters: unknown; transportIds: string[] } } }).rvw.call?.counters))}`);
    });
    const t0 = c['accept:sent']!;
    if (process.env.DEBUG_MARKS) {
      const rel = (m: Marks) => Object.fromEntries(Object.entries(m).map(([key, v]) => [key, v - t0]).sort((a, b) => (a[1] as number) - (b[1] as number)));
      process.stderr.write(`call ${i + 1} clerk ${JSON.stringify(rel(c))}\ncall ${i + 1} counter ${JSON.stringify(rel(k))}\n`);
    }
    const bothFrames = Math.max(c['frame:face']!, c['frame:document']!, k['frame:face']!);
    total.push(bothFrames - t0);
    signaling.push(c['accept:answered']! - t0);
    transport.push(c['status:recv:connected']! - t0);
    clerkFrame.push(Math.max(c['frame:face']!, c['frame:document']!) - t0);
    counterFrame.push(k['frame:face']! - t0);
    await clerk.click('#btn-hangup');
    while (t.node.registry.size > 0) await clerk.waitForTimeout(20);
  }
  const r = (xs: number[], p: number) => Math.round(percentile(xs, p));
  printResult({
    bench: 'call-setup',
    calls: CALLS,
    p50_ms: r(total, 50),
    p95_ms: r(total, 95),
    signaling_p50_ms: r(signaling, 50),
    transport_connected_p50_ms: r(transport, 50),
    clerk_first_frame_p50_ms: r(clerkFrame, 50),
    counter_first_frame_p50_ms: r(counterFrame, 50),
    max_ms: Math.max(...total),
  });
} catch (e) {
  process.stderr.write(`${pageLogs.flat().join('\n')}\n`);
  for (const [label, page] of [['counter', counter], ['clerk', clerk]] as const) {
    const toasts = await page.evaluate(() => document.getElementById('toasts')?.innerText ?? '').catch(() => '');
    process.stderr.write(`${label} toasts: ${toasts}\n`);
  }
  throw e;
} finally {
  await counterBrowser.close();
  await clerkBrowser.close();
  await t.dispose();
}
