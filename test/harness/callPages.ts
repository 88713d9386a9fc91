import type { Page } from 'playwright-core';

/** A page's call milestones (`window.rvw.marks`: epoch ms by label), as they are now. */
export function pageMarks(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() => ({ ...(window as unknown as { rvw: { marks: Record<string, number> } }).rvw.marks }));
}

/**
 * Waits (inside the page, so a measurement is not slowed by a CDP round trip every few
 * milliseconds) until every mark is set; returns all marks.
 */
export async function waitMarks(page: Page, keys: string[], timeoutMs = 20_000): Promise<Record<string, number>> {
  // A string, not a function: tsx would wrap the inner named function in a helper the page lacks.
  const result = (await page.evaluate(`new Promise((resolve) => {
    const marks = window.rvw.marks;
    const keys = ${JSON.stringify(keys)};
    const deadline = Date.now() + ${timeoutMs};
    const check = () => {
      if (keys.every((k) => marks[k] !== undefined)) resolve({ ok: true, marks: { ...marks } });
      else if (Date.now() > deadline) resolve({ ok: false, marks: { ...marks } });
      else setTimeout(check, 10);
    };
    check();
  })`)) as { ok: boolean; marks: Record<string, number> };
  if (!result.ok) throw new Error(`marks ${keys.join(',')} not reached: ${JSON.stringify(result.marks)}`);
  return result.marks;
}

/** Inbound media as the page's CallClient reports it (from RTCPeerConnection.getStats). */
export interface InboundStat {
  source: string;
  kind: string;
  framesDecoded: number;
  packetsReceived: number;
  packetsLost: number;
  bytesReceived: number;
  totalFreezesDuration: number;
  totalPausesDuration: number;
  totalSamplesReceived: number;
  concealedSamples: number;
  keyFramesDecoded: number;
  pliCount: number;
  nackCount: number;
}

/** The page's inbound stats per remote source (empty when not in a call). */
export async function inbound(page: Page): Promise<InboundStat[]> {
  return page.evaluate(async () => {
    const w = window as unknown as { rvw?: { call?: { inboundStats(): Promise<InboundStat[]> } } };
    return (await w.rvw?.call?.inboundStats()) ?? [];
  });
}

/** Sum of a figure for one source. */
export function figure(stats: InboundStat[], source: string, key: 'framesDecoded' | 'packetsReceived'): number {
  return stats.filter((s) => s.source === source).reduce((n, s) => n + s[key], 0);
}

/** Waits until every listed source has decoded (video) or received (audio) more than `min`. */
export async function waitForMedia(page: Page, sources: { source: string; kind: 'audio' | 'video' }[], min = 10, timeoutMs = 20_000): Promise<InboundStat[]> {
  const deadline = Date.now() + timeoutMs;
  let last: InboundStat[] = [];
  while (Date.now() < deadline) {
    last = await inbound(page);
    if (sources.every((s) => figure(last, s.source, s.kind === 'video' ? 'framesDecoded' : 'packetsReceived') > min)) return last;
    await page.waitForTimeout(200);
  }
  throw new Error(`media did not arrive in ${timeoutMs} ms: wanted ${JSON.stringify(sources)}, have ${JSON.stringify(last)}`);
}

/** Fills the counter form and queues a case; returns nothing (the page shows the wait step). */
export async function queueFromCounter(page: Page, applicant: { name: string; idNumber: string }, itemName?: string): Promise<void> {
  await page.waitForSelector('#partner option', { state: 'attached' });
  if (itemName) await page.selectOption('#item', { label: itemName });
  await page.fill('#app-name', applicant.name);
  await page.fill('#app-id', applicant.idNumber);
  await page.click('#btn-queue');
  // A node that records shows the recording notice first; the applicant agrees.
  await page.waitForSelector('#step-consent:not(.hidden), #step-wait:not(.hidden), #step-call:not(.hidden)', { timeout: 15_000 });
  if (await page.isVisible('#step-consent')) await page.click('#btn-consent-agree');
  await page.waitForSelector('#step-wait:not(.hidden), #step-call:not(.hidden)', { timeout: 15_000 });
}

/** The applicant draws a signature on the counter's pad and confirms it (确认签字). */
export async function signAtCounter(page: Page): Promise<void> {
  const pad = await page.locator('#signature').boundingBox();
  if (!pad) throw new Error('no signature pad');
  await page.mouse.move(pad.x + 30, pad.y + 40);
  await page.mouse.down();
  await page.mouse.move(pad.x + 120, pad.y + 80, { steps: 8 });
  await page.mouse.move(pad.x + 220, pad.y + 30, { steps: 8 });
  await page.mouse.up();
  await page.click('#btn-sign');
  await page.waitForSelector('#sign-status:has-text("已签字确认")');
}

/**
 * The walk into a call as the two people make it: the counter queues 陈建国 for the pension
 * payout, the clerk clicks 受理 on its queue, and both pages decode what the other sends — the
 * clerk the applicant's face, the 高拍仪 and the microphone; the counter the clerk's face and voice.
 */
export async function queueAcceptAndDecode(counter: Page, clerk: Page, applicant: { name: string; idNumber: string }): Promise<void> {
  await queueFromCounter(counter, applicant, '城乡居民基本养老保险个人账户一次性支付');
  await clerk.waitForSelector('#queue button.accept', { timeout: 15_000 });
  await acceptAndDecode(counter, clerk, '#queue button.accept');
}

/**
 * The clerk clicks 受理 (`acceptButton`) and both pages decode what the other sends: the clerk the
 * applicant's face, the 高拍仪 and the microphone; the counter the clerk's face and voice.
 */
export async function acceptAndDecode(counter: Page, clerk: Page, acceptButton: string): Promise<void> {
  await clerk.click(acceptButton);
  await waitForCallMedia(counter, clerk);
}

/** Both pages of an accepted call decode what the other sends (see {@link acceptAndDecode}). */
export async function waitForCallMedia(counter: Page, clerk: Page): Promise<void> {
  await waitForMedia(clerk, [
    { source: 'face', kind: 'video' },
    { source: 'document', kind: 'video' },
    { source: 'mic', kind: 'audio' },
  ]);
  await waitForMedia(counter, [
    { source: 'face', kind: 'video' },
    { source: 'mic', kind: 'audio' },
  ]);
}

/** Collects console messages, page errors and toasts of a page, to print when a test fails. */
export function collectPageLog(page: Page, label: string): string[] {
  const log: string[] = [];
  page.on('console', (m) => log.push(`[${label}] ${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log.push(`[${label}] pageerror: ${e.message}`));
  return log;
}

/**
 * Waits until every listed page decodes fresh frames of its sources again: at least 3 in a 300 ms
 * window (10 fps). Counting from a figure taken before an outage would be wrong: a rebuilt
 * connection's consumers start from zero and the old ones' figures vanish with them.
 */
export async function waitForFreshFrames(checks: { page: Page; sources: string[] }[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const before = await Promise.all(checks.map((c) => inbound(c.page)));
    await new Promise((r) => setTimeout(r, 300));
    const after = await Promise.all(checks.map((c) => inbound(c.page)));
    const gains = checks.map((c, i) => c.sources.map((s) => figure(after[i]!, s, 'framesDecoded') - figure(before[i]!, s, 'framesDecoded')));
    if (gains.every((g) => g.every((n) => n >= 3))) return;
    last = JSON.stringify(gains);
    if (Date.now() > deadline) throw new Error(`no fresh frames within ${timeoutMs} ms (last gains per page and source: ${last})`);
  }
}

/** A node's WebSocket URL as a page reaches it (`http://h:p` → `ws://h:p/ws`), written out here, not taken from the product. */
export const wsUrlFor = (origin: string): string => `${origin.replace(/^http/, 'ws')}/ws`;

/** The page's signaling socket (`window.rvw.signal`): where it is connected, and where it would go next. */
export async function socketOf(page: Page): Promise<{ url: string; isOpen: boolean; candidates: string[] }> {
  return page.evaluate(() => {
    const s = (window as unknown as { rvw: { signal: { url: string; isOpen: boolean; candidates: readonly string[] } } }).rvw.signal;
    return { url: s.url, isOpen: s.isOpen, candidates: [...s.candidates] };
  });
}
