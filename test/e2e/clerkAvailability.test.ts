import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { queueFromCounter } from '../harness/callPages';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';
import { launchPerson, StepShots, type Person } from '../journey/support/person';

/*
 * Issue #16, the clerk's workbench: 示忙/示闲 and the new-applicant alert, in three real Chromiums
 * (the 霍邱 clerk, and two 吴江 counter terminals), clicked as the people click.
 * - 示忙: the state line says so; an applicant who queues meanwhile is listed but 受理 is disabled;
 *   the counter's estimate counts no clerk serving; a crafted queue.accept from the clerk's page is
 *   refused with CLERK_PAUSED and the case stays queued; a reload reads 示忙 back from the server.
 * - 示闲: 受理 works again and the counter hears a clerk is there (即将接通); a NEW applicant brings
 *   the banner with the item's name, the 【新申请人】 title and a chime actually started; from
 *   the banner the keyboard reaches that applicant's 受理, and accepting opens the call.
 * Console errors, CSP violations and page errors on any page fail the test (PageGuard).
 */
const ITEM = { code: '000117013000', name: '参保缴费证明开具' };
const BASE_TITLE = '异地窗口工作台 · 远程虚拟窗口';

describe('clerk page: 示忙/示闲 and the new-applicant alert', () => {
  let t: TestNode;
  let clerk: Person;
  let counterA: Person;
  let counterB: Person;
  const shots = new StepShots(path.resolve('test-results/clerk-availability'));

  beforeAll(async () => {
    t = await startTestNode();
    // A second window in the 吴江 hall: two applicants wait at once, each at a terminal of their own.
    await t.node.catalog.insert('counter', { id: 'wujiang-kyth-02', hallId: 'wujiang-xzfwzx', name: '跨域通办窗口 2 号' });
    const [clerkAuth, deviceA, deviceB] = [await t.clerk('341522', [ITEM.code], '霍邱 吴斌'), await t.counter('wujiang-kyth-01'), await t.counter('wujiang-kyth-02')];
    [clerk, counterA, counterB] = await Promise.all([launchPerson('clerk'), launchPerson('counter-1'), launchPerson('counter-2')]);
    await t.addCookie(clerk.browser.context, clerkAuth.cookie);
    await t.addCookie(counterA.browser.context, deviceA.cookie);
    await t.addCookie(counterB.browser.context, deviceB.cookie);
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') {
      for (const p of [clerk, counterA, counterB]) {
        if (!p) continue;
        console.log(`[${p.label}] ${p.guard.log.join('\n')}`);
        console.log(`[${p.label}] toasts: ${await p.page.evaluate(() => document.getElementById('toasts')?.textContent ?? '').catch(() => '')}`);
      }
    }
  });
  afterAll(async () => {
    await Promise.all([clerk?.close(), counterA?.close(), counterB?.close()]);
    await t?.dispose();
  });

  it('示忙 holds the queue, survives a reload and refuses a crafted accept; 示闲 alerts on a new applicant, who is accepted', async () => {
    const page = clerk.page;
    const state = page.locator('#availability');
    const toggle = page.locator('#btn-availability');
    const banner = page.locator('#new-applicant');
    await page.goto(`${t.origin}/clerk.html`);
    await expect.poll(() => state.innerText()).toBe('示闲：正在接待新的申请人');
    expect(await toggle.innerText()).toBe('示忙');

    // ---- 示忙 ----
    await toggle.click();
    await expect.poll(() => state.innerText()).toMatch(/^示忙中（自 \d\d:\d\d 起）：不会接入新的申请人$/);
    expect(await toggle.innerText()).toBe('示闲');
    expect(await page.locator('#queue-paused-hint').isVisible()).toBe(true);

    // An applicant queues at window 1 while the only clerk of the item is paused.
    await counterA.page.goto(`${t.origin}/counter.html`);
    await queueFromCounter(counterA.page, { name: '王建华', idNumber: withCheckDigit('32058419600101201') }, ITEM.name);
    const rowA = page.locator('#queue tr', { hasText: ITEM.name }).filter({ hasText: '王' });
    const acceptA = rowA.getByRole('button', { name: '受理' });
    await acceptA.waitFor({ timeout: 15_000 });
    const caseA = (await rowA.getAttribute('data-case'))!;
    // The clerk sees who waits, cannot take them, and is not alerted (示忙 declined new applicants).
    expect(await acceptA.isDisabled()).toBe(true);
    expect(await acceptA.getAttribute('aria-describedby')).toBe('queue-paused-hint');
    expect(await banner.isVisible()).toBe(false);
    expect(await page.title()).toBe(BASE_TITLE);
    // The counter's estimate leaves the paused clerk out: nobody serves the item now.
    await expect.poll(() => counterA.page.locator('#wait-detail').innerText()).toContain('异地窗口工作人员暂时忙碌');
    await shots.take(page, 'clerk-paused-with-applicant');
    await shots.take(counterA.page, 'counter-waits-clerk-paused');

    // A crafted accept from the paused clerk's own page (its signalling client) is refused.
    const crafted = await page.evaluate(async (caseId) => {
      const signal = (window as unknown as { rvw: { signal: { request(type: string, payload: object): Promise<unknown> } } }).rvw.signal;
      try {
        await signal.request('queue.accept', { caseId });
        return { code: 'ACCEPTED', message: '' };
      } catch (e) {
        return { code: (e as { code?: string }).code, message: (e as Error).message };
      }
    }, caseA);
    expect(crafted.code).toBe('CLERK_PAUSED');
    expect(crafted.message).toMatch(/示忙/);
    expect((await t.node.cases.getCase(caseA)).state).toBe('queued');
    expect(await counterA.page.locator('#step-wait').isVisible()).toBe(true);

    // 提示音 off is remembered across the reload below.
    const sound = page.getByRole('switch', { name: /提示音/ });
    expect(await sound.getAttribute('aria-checked')).toBe('true');
    await sound.click();
    expect(await sound.innerText()).toBe('提示音：关');

    // ---- reload: the state comes from the server ----
    await page.reload();
    await expect.poll(() => state.innerText()).toMatch(/^示忙中（自 \d\d:\d\d 起）：不会接入新的申请人$/);
    expect(await toggle.innerText()).toBe('示闲');
    await acceptA.waitFor();
    expect(await acceptA.isDisabled()).toBe(true);
    // A reload only learns the queue: the applicant who was already waiting is no "new" one.
    expect(await banner.isVisible()).toBe(false);
    expect(await sound.getAttribute('aria-checked')).toBe('false');
    await sound.click();
    expect(await sound.innerText()).toBe('提示音：开');
    await shots.take(page, 'clerk-paused-after-reload');

    // ---- 示闲 ----
    await toggle.click();
    await expect.poll(() => state.innerText()).toBe('示闲：正在接待新的申请人');
    expect(await toggle.innerText()).toBe('示忙');
    await expect.poll(() => acceptA.isEnabled()).toBe(true);
    expect(await page.locator('#queue-paused-hint').isVisible()).toBe(false);
    // The counter heard the queue change and counts the clerk again: next in line, an idle clerk.
    await expect.poll(() => counterA.page.locator('#wait-detail').innerText()).toContain('即将接通');
    expect(await counterA.page.locator('#wait-detail').innerText()).not.toContain('暂时忙碌');

    // A NEW applicant queues at window 2: banner, title, chime.
    const rowAt = async () => (await acceptA.boundingBox())?.y;
    const before = await rowAt();
    await counterB.page.goto(`${t.origin}/counter.html`);
    await queueFromCounter(counterB.page, { name: '李秀珍', idNumber: withCheckDigit('32058419620202302') }, ITEM.name);
    await banner.waitFor({ state: 'visible', timeout: 15_000 });
    expect(await banner.innerText()).toContain(`有新的申请人等待接入：${ITEM.name}`);
    expect(await page.title()).toBe(`【新申请人】${BASE_TITLE}`);
    await expect.poll(async () => Number(await banner.getAttribute('data-chimes'))).toBeGreaterThanOrEqual(1);
    // The banner moves nothing: the 受理 the clerk may be about to click stays under the pointer.
    expect(await rowAt()).toBe(before);
    await shots.take(page, 'clerk-new-applicant-alert');

    // From the banner, the keyboard lands on the new applicant's 受理; Enter accepts.
    const rowB = page.locator('#queue tr', { hasText: ITEM.name }).filter({ hasText: '李' });
    const caseB = (await rowB.getAttribute('data-case'))!;
    await page.getByRole('button', { name: '知道了' }).click();
    expect(await banner.isVisible()).toBe(false);
    expect(await page.title()).toBe(BASE_TITLE);
    expect(await page.evaluate(() => document.activeElement?.closest('tr')?.getAttribute('data-case'))).toBe(caseB);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#call-view:not(.hidden)', { timeout: 20_000 });
    expect((await t.node.cases.getCase(caseB)).state).toBe('in_session');
    expect((await t.node.cases.getCase(caseA)).state).toBe('queued');
    await counterB.page.waitForSelector('#step-call:not(.hidden)', { timeout: 20_000 });
    await shots.take(page, 'clerk-in-call');

    for (const p of [clerk, counterA, counterB]) expect(p.guard.takeProblems('clerk availability'), `console errors, CSP violations or page errors on ${p.label}`).toEqual([]);
  });
});
