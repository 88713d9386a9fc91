import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { queueFromCounter, waitForFreshFrames, waitForMedia } from '../harness/callPages';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';
import { launchPerson, StepShots, type Person } from '../journey/support/person';

/*
 * Issue #16, the clerk's workbench part 2, in four real Chromiums (two 霍邱 clerks assigned the
 * item, one 吴江 counter), clicked as the people click:
 * - 设备自检 on clerk B's queue view: the preview shows the desk's own camera track (no second
 *   capture) with frames, the microphone meter moves, and both verdicts say 正常.
 * - The counter queues an applicant, clerk A clicks 受理, and both sides decode each other.
 * - 转办: A opens the dialog, sees B as 在线空闲 (and C, offline), writes the note. A first picks
 *   C, whose account is disabled meanwhile: the server's refusal shows in the dialog, which lists
 *   the colleagues anew. A confirms B; A's page is back on the queue view saying the case went to
 *   B, and A's desk is out of the call.
 * - 收到转办: B's page offers the case (number and item); 接手办理 links B's desk and opens the
 *   call view; the counter decodes fresh frames of B's camera and B those of the applicant.
 * - The record (read through the node): clerkId is B, the audit has case.transferred with the note.
 * - 我的办件: A's list no longer has the case, B's has it (办理中 with 接手办理 while the dialog
 *   asks, then 不予受理 once B closed it).
 * Console errors, CSP violations and page errors on any page fail the test (PageGuard).
 */
const ITEM = { code: '000117013000', name: '参保缴费证明开具' };
const A_NAME = '霍邱 张伟';
const B_NAME = '霍邱 李娜';
/** A third clerk of the item, never at a desk: disabled while A's dialog is open. */
const C_NAME = '霍邱 王强';
const NOTE = '已核对身份证和户口簿，缴费年限待查询后出具证明。';

type Rvw = {
  state: { caseView?: { id: string; number?: string }; inCall?: string; local?: { face: MediaStreamTrack } };
};

describe('clerk page: 转办, 收到转办, 我的办件 and 设备自检', () => {
  let t: TestNode;
  let clerkA: Person;
  let clerkB: Person;
  let counter: Person;
  let staffA: string;
  let staffB: string;
  let staffC: string;
  const shots = new StepShots(path.resolve('test-results/clerk-transfer'));

  beforeAll(async () => {
    t = await startTestNode();
    const a = await t.clerk('341522', [ITEM.code], A_NAME);
    const b = await t.clerk('341522', [ITEM.code], B_NAME);
    const c = await t.clerk('341522', [ITEM.code], C_NAME);
    const device = await t.counter('wujiang-kyth-01');
    staffA = a.staffId;
    staffB = b.staffId;
    staffC = c.staffId;
    [clerkA, clerkB, counter] = await Promise.all([launchPerson('clerk-A'), launchPerson('clerk-B'), launchPerson('counter')]);
    await t.addCookie(clerkA.browser.context, a.cookie);
    await t.addCookie(clerkB.browser.context, b.cookie);
    await t.addCookie(counter.browser.context, device.cookie);
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') {
      for (const p of [clerkA, clerkB, counter]) {
        if (!p) continue;
        console.log(`[${p.label}] ${p.guard.log.join('\n')}`);
        console.log(`[${p.label}] toasts: ${await p.page.evaluate(() => document.getElementById('toasts')?.textContent ?? '').catch(() => '')}`);
      }
    }
  });
  afterAll(async () => {
    await Promise.all([clerkA?.close(), clerkB?.close(), counter?.close()]);
    await t?.dispose();
  });

  /** The clerk page's state (`window.rvw.state`), the parts this test reads. */
  const stateOf = (page: Page) =>
    page.evaluate(() => {
      const s = (window as unknown as { rvw: Rvw }).rvw.state;
      return { caseId: s.caseView?.id, number: s.caseView?.number, inCall: s.inCall };
    });

  it('A hands the call to B with a note; B takes it over and the applicant sees B; 我的办件 follow; 设备自检 shows picture and level', async () => {
    const [a, b] = [clerkA.page, clerkB.page];
    await Promise.all([a.goto(`${t.origin}/clerk.html`), b.goto(`${t.origin}/clerk.html`)]);
    for (const p of [a, b]) {
      await expect.poll(() => p.locator('#availability').innerText()).toBe('示闲：正在接待新的申请人');
      await expect.poll(() => p.locator('#my-cases').innerText()).toBe('暂无办件');
    }

    // ---- 设备自检 (clerk B, before anyone waits) ----
    // The desk's camera is open first (the page opens it at load): the check must reuse it.
    await b.waitForFunction(() => !!(window as unknown as { rvw: Rvw }).rvw.state.local, undefined, { timeout: 20_000 });
    await b.getByRole('button', { name: '设备自检' }).click();
    const check = b.locator('#selfcheck-dialog');
    await check.waitFor({ state: 'visible' });
    await expect.poll(() => b.locator('#selfcheck-camera').innerText()).toBe('摄像头正常');
    const preview = await b.evaluate(() => {
      const video = document.getElementById('selfcheck-video') as HTMLVideoElement;
      const shown = (video.srcObject as MediaStream | null)?.getVideoTracks()[0];
      return { width: video.videoWidth, height: video.videoHeight, sameTrack: shown !== undefined && shown === (window as unknown as { rvw: Rvw }).rvw.state.local?.face };
    });
    expect(preview.width).toBeGreaterThan(0);
    expect(preview.height).toBeGreaterThan(0);
    // No second capture of the camera: the preview is the desk's own track.
    expect(preview.sameTrack).toBe(true);
    // The level meter moves with the (fake) microphone's beeps.
    const levels: number[] = [];
    for (let i = 0; i < 20; i++) {
      levels.push(await b.locator('#mic-level').evaluate((m) => (m as HTMLMeterElement).value));
      await b.waitForTimeout(150);
    }
    expect(new Set(levels.map((v) => v.toFixed(3))).size, `meter values ${levels.join(', ')}`).toBeGreaterThan(2);
    expect(Math.max(...levels)).toBeGreaterThan(0.2);
    await expect.poll(() => b.locator('#selfcheck-mic').innerText()).toBe('麦克风正常');
    await b.waitForFunction(() => (document.getElementById('mic-level') as HTMLMeterElement).value > 0.3, undefined, { timeout: 5000 });
    await shots.take(b, 'clerk-B-selfcheck');
    await b.getByRole('button', { name: '完成' }).click();
    await check.waitFor({ state: 'hidden' });
    // The preview let go of the element only: the desk's camera is still live.
    expect(await b.evaluate(() => (window as unknown as { rvw: Rvw }).rvw.state.local?.face.readyState)).toBe('live');

    // ---- the applicant queues; A accepts; the call runs ----
    await counter.page.goto(`${t.origin}/counter.html`);
    await queueFromCounter(counter.page, { name: '周桂英', idNumber: withCheckDigit('32058419570505202') }, ITEM.name);
    const acceptA = a.locator('#queue tr', { hasText: ITEM.name }).getByRole('button', { name: '受理' });
    await acceptA.waitFor({ timeout: 15_000 });
    await acceptA.click();
    await a.waitForSelector('#call-view:not(.hidden)', { timeout: 20_000 });
    const { caseId, number } = await stateOf(a);
    expect(caseId).toBeTruthy();
    expect(number).toMatch(/^341522-\d{8}-\d{4}$/);
    await waitForMedia(a, [
      { source: 'face', kind: 'video' },
      { source: 'document', kind: 'video' },
      { source: 'mic', kind: 'audio' },
    ]);
    await waitForMedia(counter.page, [
      { source: 'face', kind: 'video' },
      { source: 'mic', kind: 'audio' },
    ]);
    expect(linkedDesks(caseId!)).toEqual([staffA]);
    // A's 我的办件 lists the case it holds (hidden behind the call view, read again on accept).
    await expect.poll(() => a.locator(`#my-cases tr[data-case="${caseId}"]`).count()).toBe(1);

    // ---- 转办 from A ----
    await a.getByRole('button', { name: '转办' }).click();
    const dialog = a.locator('#transfer-dialog');
    await dialog.waitFor({ state: 'visible' });
    expect(await a.locator('#transfer-case').innerText()).toContain(number!);
    const optionB = a.locator('#transfer-colleagues label.colleague', { hasText: B_NAME });
    const optionC = a.locator('#transfer-colleagues label.colleague', { hasText: C_NAME });
    await optionB.waitFor();
    // Free colleagues first, chosen already; C has no page open.
    expect(await a.locator('#transfer-colleagues label.colleague').allInnerTexts()).toEqual([`${B_NAME}\n在线空闲`, `${C_NAME}\n离线`]);
    expect(await optionB.locator('.colleague-status').innerText()).toBe('在线空闲');
    expect(await optionB.locator('input').isChecked()).toBe(true);
    expect(await a.locator('#transfer-warning').isVisible()).toBe(false);
    // The note is required: confirming without one is refused in the dialog.
    await a.getByRole('button', { name: '确认转办' }).click();
    expect(await dialog.locator('.form-error').innerText()).toContain('请填写办理情况说明');
    await a.fill('#transfer-note', NOTE);
    expect(await dialog.locator('.form-error').isVisible()).toBe(false);

    // A picks C (the applicant would wait: said so), and C's account is disabled meanwhile: the
    // server refuses, the dialog comes back with its message, C gone from the list, the note kept.
    await optionC.locator('input').check();
    expect(await a.locator('#transfer-warning').innerText()).toBe(`${C_NAME}当前离线，申请人需在通话中等待其接手。`);
    await shots.take(a, 'clerk-A-transfer-dialog');
    const disabled = await t.admin.call('POST', `/api/admin/staff/${encodeURIComponent(staffC)}/disable`);
    expect(disabled.ok).toBe(true);
    await a.getByRole('button', { name: '确认转办' }).click();
    await expect.poll(() => dialog.locator('.form-error').innerText()).toBe('只能转给本地区负责该事项、账号有效的其他工作人员');
    expect(await dialog.isVisible()).toBe(true);
    expect(await optionC.count()).toBe(0);
    expect(await optionB.locator('input').isChecked()).toBe(true);
    expect(await a.locator('#transfer-note').inputValue()).toBe(NOTE);
    expect((await t.node.cases.getCase(caseId!)).clerkId).toBe(staffA);
    await shots.take(a, 'clerk-A-transfer-refused');
    await a.getByRole('button', { name: '确认转办' }).click();

    // A is back on the queue view, told where the case went, and out of the call.
    await a.waitForSelector('#queue-view:not(.hidden)', { timeout: 15_000 });
    expect(await a.locator('#call-view').isVisible()).toBe(false);
    await expect.poll(() => a.locator('#queue-notice').innerText()).toContain(`办件 ${number} 已转交 ${B_NAME}`);
    expect((await stateOf(a)).inCall).toBeUndefined();
    await expect.poll(() => linkedDesks(caseId!)).toEqual([]);
    // A's 我的办件 no longer lists it.
    await expect.poll(() => a.locator(`#my-cases tr[data-case="${caseId}"]`).count()).toBe(0);
    expect(await a.locator('#my-cases').innerText()).toBe('暂无办件');
    await shots.take(a, 'clerk-A-after-transfer');

    // ---- 收到转办 on B ----
    const offer = b.locator('#handover-dialog');
    await offer.waitFor({ state: 'visible', timeout: 15_000 });
    expect(await b.locator('#handover-text').innerText()).toBe(`收到转办的办件：${number} ${ITEM.name}`);
    expect(await b.locator('#handover-detail').innerText()).toContain('申请人正在通话中等待');
    // Who handed it over and the note, from the record's lastTransfer.
    expect(await b.locator('#handover-detail').innerText()).toContain(`转办人：${A_NAME}`);
    expect(await b.locator('#handover-detail').innerText()).toContain(`转办说明：${NOTE}`);
    // The applicant is told the clerk changed, not that the line dropped.
    await expect.poll(() => counter.page.evaluate(() => document.getElementById('toasts')?.textContent ?? '')).toContain('工作人员已更换');
    expect(await counter.page.evaluate(() => document.getElementById('toasts')?.textContent ?? '')).not.toContain('对方已离开通话');
    // B's 我的办件 lists it already (behind the dialog), in session, with 接手办理 for later.
    const rowB = b.locator(`#my-cases tr[data-case="${caseId}"]`);
    await expect.poll(() => rowB.count()).toBe(1);
    expect(await rowB.innerText()).toContain('办理中');
    expect(await rowB.getByRole('button', { name: '接手办理' }).count()).toBe(1);
    await shots.take(b, 'clerk-B-handover-offer');
    await offer.getByRole('button', { name: '接手办理' }).click();
    await b.waitForSelector('#call-view:not(.hidden)', { timeout: 20_000 });
    expect(await b.locator('#case-number').innerText()).toBe(number);
    expect((await stateOf(b)).inCall).toBe(caseId);

    // The counter sees and hears B now; B sees and hears the applicant.
    await expect.poll(() => linkedDesks(caseId!)).toEqual([staffB]);
    await waitForFreshFrames([
      { page: counter.page, sources: ['face'] },
      { page: b, sources: ['face', 'document'] },
    ]);
    await waitForMedia(b, [{ source: 'mic', kind: 'audio' }]);
    expect(await counter.page.locator('#step-call').isVisible()).toBe(true);
    expect(await counter.page.locator('video:visible').evaluateAll((vs) => vs.some((v) => (v as HTMLVideoElement).videoWidth > 0))).toBe(true);
    await shots.take(b, 'clerk-B-in-call');
    await shots.take(counter.page, 'counter-with-B');

    // The record: held by B, the handover in the audit chain with the note.
    const record = await t.node.cases.getCase(caseId!);
    expect(record.clerkId).toBe(staffB);
    expect(record.state).toBe('in_session');
    const { events } = await t.node.cases.history(caseId!);
    const transferred = events.filter((e) => e.action === 'case.transferred');
    expect(transferred).toHaveLength(1);
    expect(transferred[0]!.actor.id).toBe(staffA);
    expect(transferred[0]!.data).toMatchObject({ from: staffA, to: staffB, toName: B_NAME, note: NOTE });

    // ---- B closes the case; 我的办件 follows ----
    await b.getByRole('button', { name: '不予受理' }).click();
    await b.fill('#reason-text', '缴费记录不在本地区，需向原参保地申请');
    await b.click('#reason-confirm');
    await b.waitForSelector('#case-closed-bar:not(.hidden)', { timeout: 15_000 });
    await b.getByRole('button', { name: '返回队列，接待下一位' }).click();
    await b.waitForSelector('#queue-view:not(.hidden)');
    await expect.poll(() => rowB.locator('.badge').innerText()).toBe('不予受理');
    // Recording is off on this node: no 录像回放 for a call nobody recorded (test/e2e/clerkHistory.test.ts shows one).
    expect(await rowB.getByRole('link', { name: '录像回放' }).count()).toBe(0);
    expect(await rowB.isVisible()).toBe(true);
    expect(await rowB.innerText()).toContain(number!);
    expect(await rowB.innerText()).toContain('周**');
    expect(await b.locator('#btn-more-cases').isVisible()).toBe(false);
    await shots.take(b, 'clerk-B-my-cases');
    expect(await a.locator(`#my-cases tr[data-case="${caseId}"]`).count()).toBe(0);

    for (const p of [clerkA, clerkB, counter]) expect(p.guard.takeProblems('clerk transfer'), `console errors, CSP violations or page errors on ${p.label}`).toEqual([]);
  });

  /** The clerks whose desks are linked to the case's call on the node. */
  function linkedDesks(caseId: string): string[] {
    return t.node.hub.linkedTo(caseId).map((c) => (c.principal.kind === 'staff' ? c.principal.staffId : '?'));
  }
});
