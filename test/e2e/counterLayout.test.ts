import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chinaStandardTime } from '@rvw/signaling/catalog/chinaStandardTime';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';
import { WsClient } from '../harness/wsClient';
import { expectInViewport, launchPerson, StepShots, type Person } from '../journey/support/person';

/*
 * Every counter screen at the usual terminal sizes (1366×768, and 1366×900), in normal and in
 * 大字模式 (large type, remembered per terminal): the controls of each step inside the window and
 * uncovered; the service hours before anything is typed (closed: no submit); the network badge
 * resolves; no empty 屏幕共享 tile; 发送 on one line; toasts leave by themselves, at most three, in
 * a corner over no control; rating stars with their 好差评 words.
 */
const ITEM = '000117013000';
const PARTNERSHIP = 'wujiang-huoqiu';
const SIZES = [768, 900];

describe('counter layout, hours, toasts and 大字模式', () => {
  let t: TestNode;
  let counter: Person;
  let clerkWs: WsClient;

  beforeAll(async () => {
    t = await startTestNode({ enforceServiceHours: true });
    const clerk = await t.clerk('341522', [ITEM, LONG_ITEM], '霍邱社保 李娜');
    clerkWs = await WsClient.connect(t.origin, clerk.cookie);
    // The clerk's page watches the queue: a clerk serving the item is present, and idle.
    await clerkWs.request('queue.subscribe', {});
    const device = await t.counter('wujiang-kyth-01');
    counter = await launchPerson('counter');
    await t.addCookie(counter.browser.context, device.cookie);
  });
  afterAll(async () => {
    clerkWs?.close();
    await counter?.close();
    await t?.dispose();
  });

  /** Sets the partnership's hours: open all day every day, or closed today. */
  async function setHours(open: boolean): Promise<void> {
    const p = await t.node.catalog.require('partnership', PARTNERSHIP);
    const today = chinaStandardTime(new Date()).weekday;
    const serviceHours = open
      ? { timezone: 'Asia/Shanghai' as const, weekdays: [1, 2, 3, 4, 5, 6, 7], windows: [{ start: '00:00', end: '23:59' }] }
      : { timezone: 'Asia/Shanghai' as const, weekdays: [1, 2, 3, 4, 5, 6, 7].filter((d) => d !== today), windows: [{ start: '09:00', end: '12:00' }, { start: '13:30', end: '17:30' }] };
    await t.node.catalog.replace('partnership', { ...p, serviceHours });
  }

  /** Checks the controls at 1366×768 and at 1366×900, then goes back to 768. */
  async function controlsFit(page: Page, selectors: Record<string, string>): Promise<void> {
    for (const height of SIZES) {
      await page.setViewportSize({ width: 1366, height });
      for (const [what, selector] of Object.entries(selectors)) await expectInViewport(page.locator(selector).first(), `${what} at 1366×${height}`);
    }
    await page.setViewportSize({ width: 1366, height: 768 });
  }

  const problems = () => counter.guard.takeProblems('counter');

  for (const mode of ['normal', 'large'] as const) {
    it(`every step fits and reads right in ${mode === 'large' ? '大字模式' : 'normal type'}`, { timeout: 240_000 }, async () => {
      const page = counter.page;
      const shots = new StepShots(path.resolve(`test-results/counter-layout/${mode}`));

      // Out of hours: said before anything is typed, and nothing can be submitted.
      await setHours(false);
      await page.goto(`${t.origin}/counter.html`);
      if (mode === 'large') {
        // Remembered from the last test's click? No: this terminal starts in normal type.
        expect(await page.locator('#btn-large-type').innerText()).toBe('大字模式');
        await page.click('#btn-large-type');
        expect(await page.locator('#btn-large-type').innerText()).toBe('标准字体');
        expect(await page.locator('#btn-large-type').getAttribute('aria-pressed')).toBe('true');
        await page.reload();
        // One touch, remembered per terminal.
        expect(await page.locator('#btn-large-type').innerText()).toBe('标准字体');
        const sizes = await page.evaluate(() => ({
          body: parseFloat(getComputedStyle(document.body).fontSize),
          label: parseFloat(getComputedStyle(document.querySelector('label')!).fontSize),
          text: getComputedStyle(document.body).color,
        }));
        expect(sizes.body).toBeGreaterThanOrEqual(24);
        expect(sizes.label).toBeGreaterThanOrEqual(22);
        expect(sizes.text).toBe('rgb(0, 0, 0)');
      } else {
        expect(await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize))).toBe(16);
      }
      const hours = page.locator('#service-hours');
      await expect.poll(() => hours.innerText(), { timeout: 15_000 }).toContain('当前非服务时间，服务时间为');
      expect(await hours.innerText()).toMatch(/09:00–12:00、13:30–17:30（北京时间）/);
      expect(await page.locator('#btn-queue').isDisabled()).toBe(true);
      expect(await page.locator('#queue-blocked').innerText()).toContain('暂不能发起办理');
      await controlsFit(page, { 'service hours': '#service-hours', 'closed note': '#queue-blocked' });
      await shots.take(page, 'closed');

      await setHours(true);
      await page.reload();
      await expect.poll(() => hours.innerText(), { timeout: 15_000 }).toContain('营业中');
      expect(await page.locator('#btn-queue').isEnabled()).toBe(true);
      // The header names the hall and the counter once each; the network badge resolves before queueing.
      expect(await page.locator('#counter-name').innerText()).toBe('吴江区行政服务中心 跨域通办窗口 1 号');
      expect(await page.locator('header').innerText()).not.toMatch(/跨域通办窗口\s*·\s*跨域通办窗口/);
      await expect.poll(() => page.locator('#quality').innerText(), { timeout: 15_000 }).toBe('网络正常');
      // Items in the same order on every load (by item code).
      const order = await page.locator('#item option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
      expect(order).toEqual([...order].sort());
      await page.reload();
      await page.waitForSelector('#item option', { state: 'attached' });
      expect(await page.locator('#item option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(order);
      await controlsFit(page, {
        '大字模式 button': '#btn-large-type',
        region: '#partner',
        item: '#item',
        hours: '#service-hours',
        name: '#app-name',
        'ID number': '#app-id',
        phone: '#app-phone',
        '开始视频办理': '#btn-queue',
      });
      await shots.take(page, 'choose');

      // Two refusals of the form: Chinese, at most three toasts, gone by themselves.
      await page.click('#btn-queue');
      await page.fill('#app-name', '陈建国');
      await page.fill('#app-id', '12345');
      await page.click('#btn-queue');
      await expect.poll(() => page.locator('#toasts .toast-error').count(), { timeout: 15_000 }).toBe(2);
      // The × closes one at once.
      await page.locator('#toasts .toast-error').first().locator('button.toast-close').click();
      expect(await page.locator('#toasts .toast-error').count()).toBe(1);

      await page.selectOption('#item', ITEM);
      await page.fill('#app-id', withCheckDigit(mode === 'large' ? '32058419580312123' : '32058419600101123'));
      await page.click('#btn-queue');
      await page.waitForSelector('#step-wait:not(.hidden)');
      // Nobody ahead, a clerk idle: no made-up five minutes.
      expect(await page.locator('#wait-status').innerText()).toBe('排队中，您是下一位');
      expect(await page.locator('#wait-detail').innerText()).toContain('即将接通');
      // While the held-back call measures, the badge keeps a real state (the socket's, or the call's figure).
      await page.waitForTimeout(2500);
      expect(await page.locator('#quality').innerText()).toMatch(/^网络(正常|良好|一般|较差)$/);
      await controlsFit(page, { '离开队列': '#btn-leave', 'wait status': '#wait-status' });
      await shots.take(page, 'wait');

      const caseId = await page.evaluate(() => (window as unknown as { rvw: { state: { caseView: { id: string } } } }).rvw.state.caseView.id);
      await clerkWs.request('queue.accept', { caseId });
      await page.waitForSelector('#step-call:not(.hidden)');
      await clerkWs.request('document.issue', { caseId, docType: 'payment_certificate' });
      await page.waitForSelector('#documents button.print').catch(async (e: unknown) => {
        await shots.take(page, 'no-document');
        throw e;
      });
      // Nothing is shared: no 屏幕共享 tile at all.
      expect(await page.locator('#screen-tile').isVisible()).toBe(false);
      // 发送 on one line.
      expect(await page.locator('#btn-chat').evaluate((b) => { const r = document.createRange(); r.selectNodeContents(b); return r.getClientRects().length; })).toBe(1);

      // How long each message stays, measured in the page from when it appears to when it goes.
      await page.evaluate(() => {
        const life: Record<string, { added: number; removed?: number }> = {};
        (window as unknown as { toastLife: typeof life }).toastLife = life;
        new MutationObserver((records) => {
          for (const r of records) {
            for (const n of r.addedNodes) if (n instanceof HTMLElement && n.dataset.message) life[n.dataset.message] = { added: performance.now() };
            for (const n of r.removedNodes) if (n instanceof HTMLElement && n.dataset.message && life[n.dataset.message]) life[n.dataset.message]!.removed = performance.now();
          }
        }).observe(document.body, { childList: true, subtree: true });
      });
      // Messages pile up: 收到文书, 请先签字, 签字已确认 … never more than three, and over no control.
      await page.click('#btn-sign');
      await page.waitForSelector('#toasts .toast-error:has-text("请先签字")');
      const pad = (await page.locator('#signature').boundingBox())!;
      await page.mouse.move(pad.x + 30, pad.y + 40);
      await page.mouse.down();
      await page.mouse.move(pad.x + 160, pad.y + 70, { steps: 6 });
      await page.mouse.up();
      await page.click('#btn-sign');
      await page.waitForSelector('#toasts .toast:has-text("签字已确认")');
      expect(await page.locator('#toasts .toast').count()).toBeLessThanOrEqual(3);
      await controlsFit(page, {
        header: '#btn-large-type',
        'connection badge': '#conn',
        'network badge': '#quality',
        '打印': '#documents button.print',
        'chat input': '#chat-text',
        '发送': '#btn-chat',
        'signature pad': '#signature',
        '重写': '#btn-sign-clear',
        '确认签字': '#btn-sign',
        '结束通话': '#btn-hangup',
      });
      await shots.take(page, 'call');
      if (mode === 'normal') {
        // An info goes after about 4 s, an error after about 8 s; each can be closed at once with ×.
        // The lower bounds are the claim; a page timer under CI load fires late, so the upper bounds
        // (and the waits) give each timer 3× its period: it goes on its own, not never.
        await page.locator('#toasts .toast:has-text("签字已确认")').waitFor({ state: 'detached', timeout: 15_000 });
        await page.locator('#toasts .toast-error:has-text("请先签字")').waitFor({ state: 'detached', timeout: 30_000 });
        const life = await page.evaluate(() => (window as unknown as { toastLife: Record<string, { added: number; removed?: number }> }).toastLife);
        const lasted = (m: string) => (life[m]?.removed ?? NaN) - (life[m]?.added ?? NaN);
        expect(lasted('签字已确认')).toBeGreaterThan(3500);
        expect(lasted('签字已确认')).toBeLessThan(12_000);
        expect(lasted('请先签字')).toBeGreaterThan(7500);
        expect(lasted('请先签字')).toBeLessThan(24_000);
      }
      await page.click('#btn-sign-clear');

      await clerkWs.request('material.capture', { caseId, materialId: 'id_card', mime: 'image/png', dataBase64: TINY_PNG });
      const view = await t.node.cases.getCase(caseId);
      await clerkWs.request('case.transition', { caseId, expectedVersion: view.version, to: 'completed' });
      await page.waitForSelector('#step-finish:not(.hidden)');
      await controlsFit(page, {
        result: '#finish-status',
        '打印': '#finish-documents button.print',
        'clerk stars': '.stars[data-target="clerk"] button[data-score="5"]',
        'clerk stars (1)': '.stars[data-target="clerk"] button[data-score="1"]',
        'counter stars': '.stars[data-target="counter"] button[data-score="5"]',
        'clerk comment': '#comment-clerk',
        'counter comment': '#comment-counter',
        '提交评价': '#btn-rate',
        '办理下一件': '#btn-new',
      });

      // The five 好差评 levels in words; the chosen one differs in colour, text weight and aria-pressed.
      const stars = page.locator('.stars[data-target="clerk"] button');
      const words = ['非常不满意', '不满意', '基本满意', '满意', '非常满意'];
      const texts = await stars.allInnerTexts();
      expect(texts.map((x, i) => x.includes('★') && x.includes(words[i]!))).toEqual([true, true, true, true, true]);
      await stars.nth(3).click();
      expect(await stars.evaluateAll((bs) => bs.map((b) => b.getAttribute('aria-pressed')))).toEqual(['false', 'false', 'false', 'true', 'false']);
      const colours = await stars.evaluateAll((bs) => bs.map((b) => getComputedStyle(b).backgroundColor));
      expect(new Set([colours[0], colours[3], colours[4]]).size).toBe(3);
      await shots.take(page, 'finish');

      await page.click('#btn-new');
      await page.waitForSelector('#step-choose:not(.hidden)');
      expect(await page.locator('#app-name').inputValue()).toBe('');
      expect(problems()).toEqual([]);
    });
  }

  it('the standard type comes back with one touch, and stays', async () => {
    const page = counter.page;
    await page.click('#btn-large-type');
    await page.reload();
    expect(await page.locator('#btn-large-type').innerText()).toBe('大字模式');
    expect(await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize))).toBe(16);
    expect(problems()).toEqual([]);
  });

  // The item with the longest checklist (five materials): every row reachable in the case card,
  // each status on one line, the 办件编号 unbroken — in both modes at 1366×768.
  for (const mode of ['normal', 'large'] as const) {
    it(`the case card shows every checklist row, unbroken, in ${mode === 'large' ? '大字模式' : 'normal type'}`, { timeout: 120_000 }, async () => {
      const page = counter.page;
      await setHours(true);
      await page.setViewportSize({ width: 1366, height: 768 });
      await page.goto(`${t.origin}/counter.html`);
      if ((await page.locator('#btn-large-type').innerText()) !== (mode === 'large' ? '标准字体' : '大字模式')) await page.click('#btn-large-type');
      await expect.poll(() => page.locator('#service-hours').innerText(), { timeout: 15_000 }).toContain('营业中');
      await page.selectOption('#item', LONG_ITEM);
      await page.fill('#app-name', '欧阳秀英');
      await page.fill('#app-id', withCheckDigit(mode === 'large' ? '32058419500101002' : '32058419520202004'));
      await page.click('#btn-queue');
      await page.waitForSelector('#step-wait:not(.hidden)');
      const caseId = await page.evaluate(() => (window as unknown as { rvw: { state: { caseView: { id: string } } } }).rvw.state.caseView.id);
      await clerkWs.request('queue.accept', { caseId });
      await page.waitForSelector('#step-call:not(.hidden)');
      const rows = page.locator('#checklist tr');
      await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(5);

      for (let i = 0; i < 5; i++) {
        // Scrolled and measured in one turn of the page: a case.changed arriving after the accept
        // re-renders the checklist, and a row measured a moment after its scroll could be gone
        // (boundingBox null, seen once in a clean-clone CI).
        const [r, c] = await page.evaluate((n) => {
          const row = document.querySelectorAll('#checklist tr')[n]!;
          row.scrollIntoView({ block: 'nearest' });
          const rect = (e: Element) => {
            const b = e.getBoundingClientRect();
            return { y: b.y, height: b.height };
          };
          return [rect(row), rect(document.getElementById('case-summary')!.parentElement!)];
        }, i);
        // Reachable: after scrolling, the whole row is inside the card and inside the window.
        expect(r.y, `row ${i + 1} top`).toBeGreaterThanOrEqual(c.y - 1);
        expect(r.y + r.height, `row ${i + 1} bottom`).toBeLessThanOrEqual(c.y + c.height + 1);
        expect(r.y + r.height, `row ${i + 1} in window`).toBeLessThanOrEqual(768);
      }
      // One line each: a status like 未提交 never breaks into 未提/交, nor the case number at its hyphens.
      const statusLines = await page.locator('#checklist .material-status').evaluateAll((els) => els.map((e) => { const r = document.createRange(); r.selectNodeContents(e); return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size; }));
      expect(statusLines).toEqual([1, 1, 1, 1, 1]);
      const numberLines = await page.locator('#case-number').evaluate((e) => { const r = document.createRange(); r.selectNodeContents(e); return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size; });
      expect(numberLines).toBe(1);
      await new StepShots(path.resolve(`test-results/counter-layout/${mode}`)).take(page, 'call-long-checklist');

      const view = await t.node.cases.getCase(caseId);
      await clerkWs.request('case.transition', { caseId, expectedVersion: view.version, to: 'rejected', reason: '测试结束' });
      await page.waitForSelector('#step-finish:not(.hidden)');
      expect(problems()).toEqual([]);
    });
  }
});

/** The item with five checklist rows (城乡居民基本养老保险个人账户一次性支付). */
const LONG_ITEM = '000117005000';

/** A 1×1 PNG, the smallest material a clerk can capture. */
const TINY_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
