import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { queueAcceptAndDecode } from '../harness/callPages';
import { withCheckDigit } from '../harness/idNumber';
import { useCallPair } from '../journey/support/callPair';

/*
 * 标注 (#18): in a call between a counter and a clerk (real Chromiums, real media), the clerk
 * clicks 标注 and draws a stroke with the mouse across the applicant's 高拍仪 picture; the
 * counter's 高拍仪 preview shows it at once, in red, at the same place of the picture, and grows to
 * the whole row; a click on the picture while drawing does not open the enlarged view; a still
 * kept with 拍照留存材料 has the marks in it; 清除标注 clears the counter's preview. Console errors,
 * CSP violations, page errors and English in what a person reads fail it (PageGuard).
 */
const ITEM = '000117005000';

/** Where a point of the picture (0–1) is in the page (CSS px), for a `<video>` with object-fit: contain. */
async function pagePoint(page: Page, videoId: string, x: number, y: number): Promise<{ x: number; y: number }> {
  return page.evaluate(
    ({ id, px, py }) => {
      const v = document.getElementById(id) as HTMLVideoElement;
      const box = v.getBoundingClientRect();
      const scale = Math.min(box.width / v.videoWidth, box.height / v.videoHeight);
      const w = v.videoWidth * scale;
      const h = v.videoHeight * scale;
      return { x: box.left + (box.width - w) / 2 + px * w, y: box.top + (box.height - h) / 2 + py * h };
    },
    { id: videoId, px: x, py: y },
  );
}

/** Whether the canvas over a video has the marks' red around a point of the picture (0–1). */
async function redAt(page: Page, canvasId: string, videoId: string, x: number, y: number): Promise<boolean> {
  return page.evaluate(
    ({ cid, vid, px, py }) => {
      const v = document.getElementById(vid) as HTMLVideoElement;
      const c = document.getElementById(cid) as HTMLCanvasElement;
      if (!v.videoWidth || !c.width) return false;
      const ratio = c.width / v.clientWidth;
      const scale = Math.min(v.clientWidth / v.videoWidth, v.clientHeight / v.videoHeight);
      const w = v.videoWidth * scale;
      const h = v.videoHeight * scale;
      const cx = Math.round(((v.clientWidth - w) / 2 + px * w) * ratio);
      const cy = Math.round(((v.clientHeight - h) / 2 + py * h) * ratio);
      const d = c.getContext('2d')!.getImageData(cx - 4, cy - 4, 9, 9).data;
      for (let i = 0; i < d.length; i += 4) if (d[i + 3]! > 200 && d[i]! > 180 && d[i + 1]! < 90) return true;
      return false;
    },
    { cid: canvasId, vid: videoId, px: x, py: y },
  );
}

describe('标注: the clerk points on the 高拍仪 picture, the counter sees it (#18)', () => {
  const pair = useCallPair({ items: [ITEM], clerkName: '霍邱窗口 李娜' });

  it('a stroke drawn by mouse appears on the counter’s preview at the same place; kept in a still; cleared on both', async () => {
    const { t } = pair;
    const c = pair.clerk.page;
    const k = pair.counter.page;
    await c.goto(`${t.origin}/clerk.html`);
    await k.goto(`${t.origin}/counter.html`);
    await queueAcceptAndDecode(k, c, { name: '陈建国', idNumber: withCheckDigit('32058419580312123') });
    const caseId = await k.evaluate(() => (window as unknown as { rvw: { state: { caseView: { id: string } } } }).rvw.state.caseView.id);
    await k.waitForFunction(() => (document.getElementById('local-document') as HTMLVideoElement).videoWidth > 0);
    expect(await k.locator('.tile.doc-self').getAttribute('class')).not.toContain('marked');

    // ---- the clerk draws a horizontal stroke across the middle of the picture ----
    await c.click('#btn-mark');
    expect(await c.getAttribute('#btn-mark', 'aria-pressed')).toBe('true');
    expect(await c.textContent('#btn-mark')).toBe('结束标注');
    const from = await pagePoint(c, 'remote-document', 0.3, 0.5);
    const to = await pagePoint(c, 'remote-document', 0.7, 0.5);
    await c.mouse.move(from.x, from.y);
    await c.mouse.down();
    await c.mouse.move(to.x, to.y, { steps: 12 });
    await c.mouse.up();
    const drawnAt = Date.now();
    // Drawing on the picture did not open the enlarged view.
    expect((await c.locator('#lightbox').getAttribute('class')) ?? '').not.toContain('open');
    expect(await redAt(c, 'doc-marks', 'remote-document', 0.5, 0.5), 'the clerk sees the stroke').toBe(true);

    // The counter: red at the same place of its own 高拍仪 preview, nowhere near elsewhere.
    await expect.poll(() => redAt(k, 'doc-marks-local', 'local-document', 0.5, 0.5), { timeout: 5000, interval: 25 }).toBe(true);
    const seenMs = Date.now() - drawnAt;
    expect(await redAt(k, 'doc-marks-local', 'local-document', 0.35, 0.5)).toBe(true);
    expect(await redAt(k, 'doc-marks-local', 'local-document', 0.5, 0.2)).toBe(false);
    expect(await redAt(k, 'doc-marks-local', 'local-document', 0.1, 0.5)).toBe(false);
    expect(await k.locator('.tile.doc-self').getAttribute('class')).toContain('marked');
    await k.waitForSelector('#toasts .toast:has-text("工作人员在高拍仪画面上做了标注")');
    await k.screenshot({ path: '/tmp/rvw-marks-counter.png' });
    await c.screenshot({ path: '/tmp/rvw-marks-clerk.png' });

    // ---- a still kept with the marks in it ----
    const before = (await t.node.cases.getCase(caseId)).materials.length;
    await c.click('#btn-snapshot');
    await c.waitForSelector('#toasts .toast:has-text("材料已留存")');
    const record = await t.node.cases.getCase(caseId);
    expect(record.materials).toHaveLength(before + 1);
    const kept = record.materials.at(-1)!;
    // The kept picture, as the clerk's page loads it: red across its middle, not above.
    const stillRed = await c.evaluate(async (sha) => {
      const img = document.querySelector(`#materials button[data-sha256="${sha}"] img`) as HTMLImageElement;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const red = (px: number, py: number) => {
        const d = ctx.getImageData(Math.round(px * canvas.width) - 3, Math.round(py * canvas.height) - 3, 7, 7).data;
        for (let i = 0; i < d.length; i += 4) if (d[i]! > 180 && d[i + 1]! < 90 && d[i + 2]! < 90) return true;
        return false;
      };
      return { middle: red(0.5, 0.5), above: red(0.5, 0.15) };
    }, kept.sha256);
    expect(stillRed).toEqual({ middle: true, above: false });

    // ---- cleared on both screens ----
    await c.click('#btn-mark-clear');
    await expect.poll(() => redAt(k, 'doc-marks-local', 'local-document', 0.5, 0.5), { timeout: 5000 }).toBe(false);
    expect(await redAt(c, 'doc-marks', 'remote-document', 0.5, 0.5)).toBe(false);
    await expect.poll(async () => (await k.locator('.tile.doc-self').getAttribute('class')) ?? '').not.toContain('marked');
    // 结束标注: a click on the picture opens the enlarged view again.
    await c.click('#btn-mark');
    expect(await c.getAttribute('#btn-mark', 'aria-pressed')).toBe('false');
    await c.click('#remote-document');
    await expect.poll(async () => (await c.locator('#lightbox').getAttribute('class')) ?? '').toContain('open');
    console.info(`标注: the counter showed the stroke ${seenMs} ms after the clerk's mouse went up`);
  });
});
