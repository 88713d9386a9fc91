/**
 * The accept → first-frame measurement of bench:call-setup, shared with bench:cross-region: a
 * counter page and a clerk page already signed in, N sequential calls, each timed from the
 * clerk's accept request to the first decoded video frame on both sides (and the phases in
 * between, and the first frame with a picture in it). How the pages reach their node(s) is the
 * caller's; the walk and the figures are the same for every bench that uses it.
 */
import type { Page } from 'playwright-core';
import { pageMarks, queueFromCounter, waitMarks } from '../test/harness/callPages';
import { withCheckDigit } from '../test/harness/idNumber';
import { percentile } from './runBench';

type Marks = Record<string, number>;
const clearMarks = (page: Page) => page.evaluate(() => {
  const marks = (window as unknown as { rvw: { marks: Record<string, number> } }).rvw.marks;
  for (const key of Object.keys(marks)) delete marks[key];
});
/**
 * DIAGNOSTIC ONLY (not the headline figure): CAPTURE=qvga makes the fake cameras 320×240, so the
 * run shows how much of the time is video encoding and decoding on this machine's cores, which
 * here also host both browsers, the node and the SFU.
 */
export async function applyCaptureOption(pages: Page[]): Promise<void> {
  if (process.env.CAPTURE !== 'qvga') return;
  for (const p of pages) {
    await p.addInitScript(() => {
      const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      navigator.mediaDevices.getUserMedia = (c?: MediaStreamConstraints) =>
        original(c && typeof c.video === 'object' ? { ...c, video: { ...c.video, width: 320, height: 240 } } : c);
    });
  }
}

/**
 * The first decoded frame may be black: a sender held back warm sends black frames until it hears
 * of the accept. So each remote video is also watched for its first frame with a picture in it
 * (mean brightness above 20 of 255, sampled at 32×18): the bench reports that time too, and how
 * many first frames were black. Armed before each accept (a string: see waitMarks).
 */
const armLiveWatch = (page: Page, ids: string[]) => page.evaluate(`(() => {
  window.__live = {};
  window.__firstLuma = {};
  const canvas = document.createElement('canvas');
  canvas.width = 32;
  canvas.height = 18;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  for (const id of ${JSON.stringify(ids)}) {
    const video = document.getElementById(id);
    const step = (_now, frame) => {
      const presentedAt = Math.round(Date.now() - (performance.now() - frame.presentationTime));
      ctx.drawImage(video, 0, 0, 32, 18);
      const d = ctx.getImageData(0, 0, 32, 18).data;
      let sum = 0;
      for (let i = 0; i < d.length; i += 4) sum += d[i] + d[i + 1] + d[i + 2];
      const luma = sum / ((d.length / 4) * 3);
      if (window.__firstLuma[id] === undefined) window.__firstLuma[id] = luma;
      if (luma > 20) window.__live[id] = presentedAt;
      else video.requestVideoFrameCallback(step);
    };
    video.requestVideoFrameCallback(step);
  }
})()`);
async function waitLive(page: Page, ids: string[]): Promise<{ live: Record<string, number>; firstLuma: Record<string, number> }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = (await page.evaluate('({ live: { ...window.__live }, firstLuma: { ...window.__firstLuma } })')) as { live: Record<string, number>; firstLuma: Record<string, number> };
    if (ids.every((id) => r.live[id] !== undefined) || Date.now() > deadline) return r;
    await page.waitForTimeout(50);
  }
}
/**
 * The time from the accept until each view shows its sender's camera width (a sender's own
 * adaptation may start or keep a picture smaller; a half-size start was tried, docs/cluster.md).
 * Polled inside the page (see waitMarks); a view not at full width within 5 s is left out (counted).
 */
async function waitFullWidth(page: Page, widths: Record<string, number>): Promise<Record<string, number | null>> {
  return (await page.evaluate(`new Promise((resolve) => {
    const widths = ${JSON.stringify(widths)};
    const at = {};
    const deadline = Date.now() + 5000;
    const check = () => {
      for (const [id, w] of Object.entries(widths)) if (at[id] === undefined && document.getElementById(id).videoWidth >= w) at[id] = Date.now();
      if (Object.keys(widths).every((id) => at[id] !== undefined) || Date.now() > deadline) {
        for (const id of Object.keys(widths)) at[id] ??= null;
        resolve(at);
      } else setTimeout(check, 10);
    };
    check();
  })`)) as Record<string, number | null>;
}
const CLERK_VIEWS = ['remote-face', 'remote-document'];
const COUNTER_VIEWS = ['remote-face'];

/** What {@link measureCallSetup} measured, one entry per call (ms from the accept request). */
export interface CallSetupSamples {
  /** Accept → the last of the three first frames presented (the frame's presentation time). */
  total: number[];
  /** The same, at the pages' frame callbacks (which wait for a busy main thread). */
  totalCallback: number[];
  live: number[];
  blackFirst: number;
  signaling: number[];
  transport: number[];
  clerkFrame: number[];
  counterFrame: number[];
  /** Accept → the counter page hears it (its case.changed notification, from the clerk's node). */
  counterHeard: number[];
  /** Accept → every view at full width, for calls where all got there in 5 s. */
  fullSize: number[];
  /** Views that did not reach full width within 5 s. */
  notFullSize: number;
}

/** Options for {@link measureCallSetup}. */
export interface MeasureOptions {
  calls: number;
  /** How long the applicant waits in the queue before the clerk accepts (not measured). */
  queueWaitMs: number;
  /** counter.html and clerk.html on the node each page uses. */
  counterUrl: string;
  clerkUrl: string;
  /** True once the call's routers are gone after the hang-up (the clerk's desk stays). */
  callGone: () => boolean | Promise<boolean>;
  /** The clerk's page is open at its desk, connected, already (a run in blocks): it is not loaded again. */
  clerkOpen?: boolean;
  /** The item the applicants ask for (default 参保缴费证明开具). */
  itemName?: string;
  /** Numbers the applicants from here (a run in blocks keeps ID numbers apart). */
  firstCall?: number;
}

/**
 * Runs `calls` sequential calls and measures each. A fresh counter page per call, as a new
 * applicant; the clerk's page stays open across calls, as at a real desk, with its media
 * connected and held back. As the pages do, the clerk's desk is connected before the case comes
 * in, and the counter connects its media (held back) while its case waits in the queue.
 */
export async function measureCallSetup(counter: Page, clerk: Page, o: MeasureOptions): Promise<CallSetupSamples> {
  const s: CallSetupSamples = { total: [], totalCallback: [], live: [], blackFirst: 0, signaling: [], transport: [], clerkFrame: [], counterFrame: [], counterHeard: [], fullSize: [], notFullSize: 0 };
  for (let i = 0; i < o.calls; i++) {
    await counter.goto(o.counterUrl);
    if (i === 0 && !o.clerkOpen) {
      await clerk.goto(o.clerkUrl);
      await waitMarks(clerk, ['status:connected', 'status:recv:connected']);
    }
    const n = (o.firstCall ?? 0) + i;
    await queueFromCounter(counter, { name: `申请人${n}`, idNumber: withCheckDigit(`32058419600101${String(100 + n).padStart(3, '0')}`) }, o.itemName ?? '参保缴费证明开具');
    await clerk.waitForSelector('#queue button.accept');
    // A real applicant waits seconds to minutes; by then the counter has connected its media,
    // held back. Accept once that is so (the wait itself is not part of the measurement).
    await waitMarks(counter, ['status:connected', 'status:recv:connected']);
    await counter.waitForTimeout(o.queueWaitMs);
    // (A clerk's page open from an earlier block had its marks cleared: undefined then.)
    const connectedBefore = { clerk: (await pageMarks(clerk))['status:recv:connected'], counter: (await pageMarks(counter))['status:recv:connected'] };
    await clearMarks(clerk);
    await armLiveWatch(clerk, CLERK_VIEWS);
    await armLiveWatch(counter, COUNTER_VIEWS);
    await clerk.click('#queue button.accept');
    const c = await waitMarks(clerk, ['accept:sent', 'accept:answered', 'frame:face', 'frame:document', 'frame:face:callback', 'frame:document:callback']);
    const k = await waitMarks(counter, ['frame:face', 'frame:face:callback']).catch(async (e: Error) => {
      throw new Error(`call ${i + 1}: ${e.message}; counter calls: ${JSON.stringify(await counter.evaluate(() => (window as unknown as { rvw: { call?: { counters: unknown; transportIds: string[] } } }).rvw.call?.counters))}`);
    });
    const t0 = c['accept:sent']!;
    const [cl, kl] = [await waitLive(clerk, CLERK_VIEWS), await waitLive(counter, COUNTER_VIEWS)];
    const localWidth = (page: Page, id: string) => page.evaluate((el) => (document.getElementById(el) as HTMLVideoElement).videoWidth, id);
    const full = [
      ...Object.values(await waitFullWidth(clerk, { 'remote-face': await localWidth(counter, 'local-face'), 'remote-document': await localWidth(counter, 'local-document') })),
      ...Object.values(await waitFullWidth(counter, { 'remote-face': await localWidth(clerk, 'local-face') })),
    ];
    s.notFullSize += full.filter((x) => x === null).length;
    if (process.env.DEBUG_MARKS) process.stderr.write(`call ${i + 1} widths clerk ${await clerk.evaluate(() => ['remote-face', 'remote-document'].map((id) => (document.getElementById(id) as HTMLVideoElement).videoWidth).join('/'))} counter ${await counter.evaluate(() => (document.getElementById('remote-face') as HTMLVideoElement).videoWidth)} full ${JSON.stringify(full.map((x) => (x === null ? null : x - t0)))}\n`);
    if (full.every((x) => x !== null)) s.fullSize.push(Math.max(...(full as number[])) - t0);
    const liveTimes = [...CLERK_VIEWS.map((id) => cl.live[id]), ...COUNTER_VIEWS.map((id) => kl.live[id])];
    if (liveTimes.every((x) => x !== undefined)) s.live.push(Math.max(...(liveTimes as number[])) - t0);
    s.blackFirst += [...Object.values(cl.firstLuma), ...Object.values(kl.firstLuma)].filter((l) => l <= 20).length;
    if (process.env.DEBUG_MARKS) {
      const rel = (m: Marks) => Object.fromEntries(Object.entries(m).map(([key, v]) => [key, v - t0]).sort((a, b) => (a[1] as number) - (b[1] as number)));
      process.stderr.write(`call ${i + 1} accepted at ${t0} (epoch ms; the nodes' own logs read the same clock) clerk ${JSON.stringify(rel(c))}\ncall ${i + 1} counter ${JSON.stringify(rel(k))}\n`);
    }
    const bothFrames = Math.max(c['frame:face']!, c['frame:document']!, k['frame:face']!);
    s.total.push(bothFrames - t0);
    s.totalCallback.push(Math.max(c['frame:face:callback']!, c['frame:document:callback']!, k['frame:face:callback']!) - t0);
    s.signaling.push(c['accept:answered']! - t0);
    // Both receive transports connect before the accept (desk, queued counter): 0 unless a
    // reconnect happened during the call.
    s.transport.push(Math.max(0, (c['status:recv:connected'] ?? connectedBefore.clerk ?? t0) - t0, (k['status:recv:connected'] ?? connectedBefore.counter ?? t0) - t0));
    s.clerkFrame.push(Math.max(c['frame:face']!, c['frame:document']!) - t0);
    s.counterFrame.push(k['frame:face']! - t0);
    if (k['accept:heard'] !== undefined) s.counterHeard.push(k['accept:heard'] - t0);
    await clerk.click('#btn-hangup');
    // The case's router goes; the clerk's desk stays for the next call.
    while (!(await o.callGone())) await clerk.waitForTimeout(20);
    await clerk.waitForSelector('#queue-view:not(.hidden)');
  }
  return s;
}

/** The figures bench:call-setup prints after its header fields, in its order. */
export function summarize(s: CallSetupSamples): Record<string, number> {
  const r = (xs: number[], p: number) => Math.round(percentile(xs, p));
  return {
    p50_ms: r(s.total, 50),
    p95_ms: r(s.total, 95),
    signaling_p50_ms: r(s.signaling, 50),
    transport_connected_p50_ms: r(s.transport, 50),
    clerk_first_frame_p50_ms: r(s.clerkFrame, 50),
    counter_first_frame_p50_ms: r(s.counterFrame, 50),
    counter_heard_accept_p50_ms: r(s.counterHeard, 50),
    max_ms: Math.max(...s.total),
    // Where the pages' main threads were busy when the first frames were shown, their frame
    // callbacks ran later than the frames went to the screen: the earlier measure, kept beside.
    p50_callback_ms: r(s.totalCallback, 50),
    p95_callback_ms: r(s.totalCallback, 95),
    // The same, to the first frame with a picture in it (see armLiveWatch); calls without one in 10 s are left out.
    first_picture_p50_ms: r(s.live, 50),
    first_picture_p95_ms: r(s.live, 95),
    calls_with_picture: s.live.length,
    full_size_p50_ms: r(s.fullSize, 50),
    full_size_p95_ms: r(s.fullSize, 95),
    views_not_full_size_in_5s: s.notFullSize,
    black_first_frames: s.blackFirst,
  };
}

/** Server-side time per request type (mean ms), from a node's /metrics text. */
export function serverRequestMs(metricsText: string): Record<string, number> {
  const sums = new Map<string, { sum: number; count: number }>();
  for (const m of metricsText.matchAll(/^rvw_ws_request_seconds_(sum|count)\{type="([^"]+)"\} ([\d.e+-]+)$/gm)) {
    const e = sums.get(m[2]!) ?? { sum: 0, count: 0 };
    e[m[1] as 'sum' | 'count'] = Number(m[3]);
    sums.set(m[2]!, e);
  }
  return Object.fromEntries([...sums].map(([k, v]) => [k, +((1000 * v.sum) / v.count).toFixed(1)]));
}

/** After a failure: the pages' logs and the toasts they show, to stderr. */
export async function reportPages(pageLogs: string[][], pages: [string, Page][]): Promise<void> {
  process.stderr.write(`${pageLogs.flat().join('\n')}\n`);
  for (const [label, page] of pages) {
    const toasts = await page.evaluate(() => document.getElementById('toasts')?.innerText ?? '').catch(() => '');
    process.stderr.write(`${label} toasts: ${toasts}\n`);
  }
}
