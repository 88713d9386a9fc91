/**
 * bench:hard-networks — one live call between a counter and a clerk in two Debian Chromiums,
 * driven through the pages, while the counter's network gets worse: its Chromium sits in a network
 * namespace whose only way to the node goes through an impairing wire
 * (test/harness/netns/ImpairedLink.ts: delayLine.py with delay, random loss and a rate cap in each
 * direction — this kernel has no sch_netem). For each condition, after the call has settled on it,
 * the receivers' getStats over a measured window, on both sides (the clerk receives over the
 * wire's uplink, the counter over its downlink): each picture's freeze ratio
 * ((Δ totalFreezesDuration + Δ totalPausesDuration) / window; freezes over 5 s count as pauses),
 * its frame rate, packet loss as the receiver counts it (Chrome does not count a packet recovered
 * over RTX as received: on a leg the node repairs by RTX this is the wire's loss) and bitrate, and
 * the voice's concealment
 * (Δ concealedSamples / Δ totalSamplesReceived). Goals (#17): at 2 % loss / 100 ms RTT every
 * freeze ratio < 1 %; at 10 % / 200 ms the call goes on, the voice intact (concealment < 20 %),
 * freeze ratio < 5 %. The 500 kbps cap is reported. One JSON line; `goal_met` per condition.
 *
 *   npm run bench:hard-networks            (SETTLE_MS=6000 WINDOW_MS=15000 by default;
 *                                          CONDITION=<name> runs that condition alone)
 */
import { freePort } from '@rvw/infra/redis/freePort';
import os from 'node:os';
import type { Page } from 'playwright-core';
import { launchChromium } from '../test/harness/browser';
import { inbound, queueAcceptAndDecode, type InboundStat } from '../test/harness/callPages';
import { withCheckDigit } from '../test/harness/idNumber';
import { ImpairedLink, type Impairment } from '../test/harness/netns/ImpairedLink';
import { startTestNode } from '../test/harness/testNode';
import { printResult } from './runBench';

const SETTLE_MS = Number(process.env.SETTLE_MS ?? 6000);
const WINDOW_MS = Number(process.env.WINDOW_MS ?? 15_000);

interface Condition {
  name: string;
  impairment: Impairment;
  /** Largest freeze ratio allowed per picture; undefined: reported only. */
  maxFreezeRatio?: number;
  /** Largest audio concealment allowed (the voice stays intelligible). */
  maxConcealment?: number;
}

const CONDITIONS: Condition[] = [
  { name: 'loss_2pct_rtt_100ms', impairment: { delayMs: 50, loss: 0.02 }, maxFreezeRatio: 0.01 },
  { name: 'loss_10pct_rtt_200ms', impairment: { delayMs: 100, loss: 0.1 }, maxFreezeRatio: 0.05, maxConcealment: 0.2 },
  { name: 'cap_500kbps', impairment: { delayMs: 10, rateKbps: 500 } },
];

/** The conditions this run measures (CONDITION=<name>: that one alone). */
const RUN = CONDITIONS.filter((x) => !process.env.CONDITION || x.name === process.env.CONDITION);
if (RUN.length === 0) throw new Error(`CONDITION must be one of ${CONDITIONS.map((x) => x.name).join(', ')}`);

interface Figures {
  source: string;
  freeze_ratio: number;
  fps: number;
  concealment_ratio: number;
  loss_ratio: number;
  kbps: number;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** Per source, what changed between two getStats snapshots `ms` apart. */
function windowFigures(before: InboundStat[], after: InboundStat[], ms: number): Figures[] {
  return after.map((a) => {
    const b = before.find((x) => x.source === a.source && x.kind === a.kind);
    const d = (k: keyof InboundStat) => Number(a[k]) - Number(b?.[k] ?? 0);
    const packets = d('packetsReceived') + d('packetsLost');
    return {
      source: `${a.kind}:${a.source}`,
      freeze_ratio: r3(a.kind === 'video' ? (d('totalFreezesDuration') + d('totalPausesDuration')) / (ms / 1000) : 0),
      fps: r3(a.kind === 'video' ? d('framesDecoded') / (ms / 1000) : 0),
      concealment_ratio: r3(a.kind === 'audio' && d('totalSamplesReceived') > 0 ? d('concealedSamples') / d('totalSamplesReceived') : 0),
      loss_ratio: r3(packets > 0 ? d('packetsLost') / packets : 0),
      kbps: Math.round((d('bytesReceived') * 8) / ms),
    };
  });
}

const loadBefore = os.loadavg()[0] ?? 0;
const link = await ImpairedLink.create();
await link.impair({ delayMs: 1 });
// The node listens on the wire's root end: the counter reaches it only through the wire, the
// clerk's Chromium (root namespace) directly.
const port = await freePort();
const t = await startTestNode({ env: { RVW_HTTP_PORT: String(port), RVW_HTTP_HOST: link.rootIp, RVW_PUBLIC_ORIGIN: `http://${link.rootIp}:${port}`, RVW_RTC_LISTEN_IP: link.rootIp } });
const secure = [`--unsafely-treat-insecure-origin-as-secure=${t.origin}`];
const counter = await launchChromium(secure, { executablePath: link.chromiumWrapper });
const clerk = await launchChromium(secure);
try {
  await t.addCookie(counter.context, (await t.counter('wujiang-kyth-01')).cookie);
  await t.addCookie(clerk.context, (await t.clerk('341522', ['000117005000'], '霍邱窗口')).cookie);
  const k: Page = counter.context.pages()[0] ?? (await counter.context.newPage());
  const c: Page = clerk.context.pages()[0] ?? (await clerk.context.newPage());
  await c.goto(`${t.origin}/clerk.html`);
  await k.goto(`${t.origin}/counter.html`);
  await queueAcceptAndDecode(k, c, { name: '陈建国', idNumber: withCheckDigit('32058419580312123') });
  const results: Record<string, unknown> = {};
  for (const cond of RUN) {
    await link.impair(cond.impairment);
    await k.waitForTimeout(SETTLE_MS);
    const [k0, c0] = [await inbound(k), await inbound(c)];
    const t0 = Date.now();
    await k.waitForTimeout(WINDOW_MS);
    const [k1, c1] = [await inbound(k), await inbound(c)];
    const ms = Date.now() - t0;
    // The ladder's mode at the end of the window (docs/networks.md): a picture it stopped counts
    // as frozen here, as it would to a person.
    const callMode = await k.evaluate(() => document.getElementById('call-mode')?.dataset.mode ?? null);
    const clerkReceives = windowFigures(c0, c1, ms);
    const counterReceives = windowFigures(k0, k1, ms);
    const all = [...clerkReceives, ...counterReceives];
    const pictures = all.filter((f) => f.source.startsWith('video:'));
    const voices = all.filter((f) => f.source.startsWith('audio:'));
    const worstFreeze = Math.max(...pictures.map((f) => f.freeze_ratio));
    const worstConcealment = Math.max(...voices.map((f) => f.concealment_ratio));
    const goalMet =
      cond.maxFreezeRatio === undefined && cond.maxConcealment === undefined
        ? null
        : worstFreeze < (cond.maxFreezeRatio ?? Infinity) && worstConcealment < (cond.maxConcealment ?? Infinity) && pictures.every((f) => f.fps > 0);
    results[cond.name] = {
      delay_ms_each_way: cond.impairment.delayMs,
      loss_ratio_each_way: cond.impairment.loss ?? 0,
      rate_kbps_each_way: cond.impairment.rateKbps ?? null,
      window_ms: ms,
      worst_freeze_ratio: worstFreeze,
      worst_concealment_ratio: worstConcealment,
      min_fps: Math.min(...pictures.map((f) => f.fps)),
      call_mode: callMode,
      goal_met: goalMet,
      clerk_receives: clerkReceives,
      counter_receives: counterReceives,
    };
  }
  printResult({ bench: 'hard-networks', impairment: 'delayLine.py (userspace; no sch_netem in this kernel)', counter_behind_wire: true, ...results, load_before: Math.round(loadBefore * 100) / 100 });
} finally {
  await counter.close();
  await clerk.close();
  await t.dispose();
  await link.dispose();
}
