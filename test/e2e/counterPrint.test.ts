import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueFromCounter, signAtCounter } from '../harness/callPages';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';
import { WsClient } from '../harness/wsClient';
import { expectInViewport, launchPerson, StepShots, type Person } from '../journey/support/person';

/*
 * The counter as the applicant and the hall staff use it, in real Chromium (the clerk's side over
 * its socket): 统一窗口出件 from a frame of the counter's own page — the frame shows the PDF, print
 * is called once, the print counts once, and only after the dialog opened; a PDF that does not load
 * is the system's failure and costs no print; documents stay printable after 办结; then media ends
 * on both sides and the next applicant starts from an empty form.
 */
const SHOTS = new StepShots(path.resolve('test-results/counter-print'));
const ITEM = '000117013000';

describe('counter: printing, the end of a case and the next applicant', { timeout: 180_000 }, () => {
  let t: TestNode;
  let counter: Person;
  let clerkWs: WsClient;
  let clerkApi: Awaited<ReturnType<TestNode['clerk']>>['api'];
  let caseId: string;
  let number: string;

  beforeAll(async () => {
    t = await startTestNode();
    const clerk = await t.clerk('341522', [ITEM], '霍邱社保 李娜');
    clerkWs = await WsClient.connect(t.origin, clerk.cookie);
    clerkApi = clerk.api;
    const device = await t.counter('wujiang-kyth-01');
    counter = await launchPerson('counter');
    await t.addCookie(counter.browser.context, device.cookie);
  });
  afterAll(async () => {
    clerkWs?.close();
    await counter?.close();
    await t?.dispose();
  });

  const problems = () => counter.guard.takeProblems('counter');
  const printLog = async () => (await t.node.cases.getCase(caseId)).documents.find((d) => d.number === number)?.printLog ?? [];
  const printStatus = async () => t.node.redis.hGetAll(`doc:print:${number}`);

  it('queues, is accepted, receives a document and prints it from its own frame: print called once, counted once', async () => {
    const page = counter.page;
    await page.goto(`${t.origin}/counter.html`);
    await queueFromCounter(page, { name: '周秀兰', idNumber: withCheckDigit('32058419700512432') }, '参保缴费证明开具');
    caseId = await page.evaluate(() => (window as unknown as { rvw: { state: { caseView: { id: string } } } }).rvw.state.caseView.id);
    await clerkWs.request('queue.accept', { caseId });
    await page.waitForSelector('#step-call:not(.hidden)');
    const doc = await clerkWs.request('document.issue', { caseId, docType: 'payment_certificate' });
    number = doc.number;

    const print = page.locator(`#documents tr[data-document="${number}"] button.print`);
    await expectInViewport(print, '打印 (call step)');
    // The frame's load event with a PDF in it: recorded by a listener the test puts on the frame.
    await page.evaluate(() => {
      const frame = document.getElementById('print-frame') as HTMLIFrameElement;
      (window as unknown as { frameLoads: string[] }).frameLoads = [];
      frame.addEventListener('load', () => (window as unknown as { frameLoads: string[] }).frameLoads.push(frame.contentDocument?.contentType ?? 'inaccessible'));
    });
    await print.click();
    await page.waitForSelector('#toasts .toast:has-text("已发送到打印机")');
    expect(await page.evaluate(() => (window as unknown as { frameLoads: string[] }).frameLoads)).toEqual(['application/pdf']);
    await expect.poll(() => counter.guard.prints.length, { timeout: 15_000 }).toBe(1);
    expect(counter.guard.prints[0]).toContain('/api/print/');
    await expect.poll(async () => (await printLog()).map((e) => e.event), { timeout: 15_000 }).toEqual(['print_token_issued', 'printed']);
    expect(await printStatus()).toMatchObject({ printed: '1', pending: '0' });
    await expect.poll(() => page.locator(`#documents tr[data-document="${number}"] .print-state`).innerText(), { timeout: 15_000 }).toBe('已打印 1 次');
    await SHOTS.take(page, 'printed');

    // A second copy needs the clerk: the counter says so and does not offer it; the server refuses it too.
    await expect.poll(() => print.isDisabled(), { timeout: 15_000 }).toBe(true);
    expect(await page.locator(`#documents tr[data-document="${number}"] .print-hint`).innerText()).toBe('再次打印须经工作人员批准');
    const again = await page.evaluate(async (n) => (await fetch(`/api/documents/${n}/print-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json(), number);
    expect(again).toMatchObject({ ok: false, error: { code: 'REPRINT_NOT_APPROVED' } });
    expect(counter.guard.prints).toHaveLength(1);
    expect(await printStatus()).toMatchObject({ printed: '1' });
    // That refused request logged a 409 in the console: made by the test, not by the page.
    counter.guard.takeProblems('reprint refused');
    expect(problems()).toEqual([]);
  });

  it('a PDF that does not load is reported as the system’s failure and costs no print; the next try prints', async () => {
    const page = counter.page;
    // The issuing clerk allows one more print (e.g. the first came out jammed).
    expect((await clerkApi.call('POST', `/api/documents/${number}/reprint-approval`, { reason: '打印机卡纸' })).status).toBe(200);
    const print = page.locator(`#documents tr[data-document="${number}"] button.print`);
    await expect.poll(() => print.isEnabled(), { timeout: 15_000 }).toBe(true);

    // The server answers the frame with an error instead of the PDF.
    await page.route('**/api/print/**', (route) => route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ ok: false, error: { code: 'INTERNAL', message: '服务器内部错误' } }) }));
    await print.click();
    const failure = page.locator('#toasts .toast-error:has-text("系统未能载入文书")');
    await failure.waitFor();
    expect(await failure.innerText()).toContain('本次未计打印次数');
    expect(await failure.innerText()).not.toContain('打印机');
    expect(counter.guard.prints).toHaveLength(1);
    await expect.poll(async () => (await printLog()).filter((e) => e.event === 'print_reported').map((e) => e.outcome), { timeout: 15_000 }).toEqual(['failure']);
    expect(await printStatus()).toMatchObject({ printed: '1', allowed: '2' });
    await SHOTS.take(page, 'load-failed');
    // The 503 of the frame's document is what this test made happen, not a page problem.
    expect(problems().filter((p) => !/status of 503/.test(p))).toEqual([]);

    await page.unroute('**/api/print/**');
    await print.click();
    await expect.poll(() => counter.guard.prints.length, { timeout: 15_000 }).toBe(2);
    await expect.poll(async () => (await printLog()).filter((e) => e.event === 'printed').length, { timeout: 15_000 }).toBe(2);
    expect(await printStatus()).toMatchObject({ printed: '2', allowed: '2' });
    expect(problems()).toEqual([]);
  });

  it('after 办结 the documents stay printable, media ends on both sides and the server holds nothing of the counter', async () => {
    const page = counter.page;
    await signAtCounter(page);
    const peerId = await page.evaluate(() => sessionStorage.getItem('rvw.peerId'));
    expect(t.node.registry.get(caseId)?.ownProducers().some((p) => p.peerId === peerId)).toBe(true);

    await clerkWs.request('material.waive', { caseId, materialId: 'id_card', note: '原件后补', deadline: '2099-12-31' }).catch(async () => {
      // Deadline rules may be stricter (e.g. within the statutory days): take the ID card as provided instead.
      await clerkWs.request('material.capture', { caseId, materialId: 'id_card', mime: 'image/png', dataBase64: TINY_PNG });
    });
    const view = await t.node.cases.getCase(caseId);
    await clerkWs.request('case.transition', { caseId, expectedVersion: view.version, to: 'completed' });

    await page.waitForSelector('#step-finish:not(.hidden)');
    const finishPrint = page.locator(`#finish-documents tr[data-document="${number}"] button.print`);
    await expectInViewport(finishPrint, '打印 (finish step)');
    await expectInViewport(page.locator('#finish-status'), '办结 status');
    expect(await page.locator(`#finish-documents tr[data-document="${number}"] .print-state`).innerText()).toBe('已打印 2 次');

    // Every local track the page ever got is stopped; nothing plays any more.
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { __rvwTracks: MediaStreamTrack[] }).__rvwTracks.map((tr) => tr.readyState)), { timeout: 15_000 })
      .toEqual(expect.not.arrayContaining(['live']));
    expect(await page.evaluate(() => (window as unknown as { __rvwTracks: MediaStreamTrack[] }).__rvwTracks.length)).toBeGreaterThanOrEqual(3);
    expect(await page.evaluate(() => ['remote-audio', 'remote-face', 'local-face'].map((id) => (document.getElementById(id) as HTMLMediaElement).srcObject))).toEqual([null, null, null]);
    // The server closed the case's media session: no producer of that counter is left anywhere.
    await expect.poll(() => (t.node.registry.get(caseId)?.ownProducers() ?? []).filter((p) => p.peerId === peerId).length, { timeout: 15_000 }).toBe(0);
    // Its producers go as the session closes, a moment before the session leaves the registry.
    await expect.poll(() => t.node.registry.get(caseId), { timeout: 15_000 }).toBeUndefined();
    await SHOTS.take(page, 'finish');

    // The applicant rates with labelled stars.
    await page.click('.stars[data-target="clerk"] button[data-score="5"]');
    await page.click('.stars[data-target="counter"] button[data-score="4"]');
    expect(await page.locator('.stars[data-target="clerk"] button[aria-pressed="true"]').innerText()).toContain('非常满意');
    expect(await page.locator('.stars[data-target="counter"] button[aria-pressed="true"]').innerText()).toContain('满意');
    await page.click('#btn-rate');
    await page.waitForSelector('#toasts .toast:has-text("感谢您的评价")');
    expect(problems()).toEqual([]);
  });

  it('办理下一件 starts from an empty form, with no message of the last applicant', async () => {
    const page = counter.page;
    // Something of the last applicant on screen: a message (rating twice is refused).
    await page.click('#btn-rate');
    await page.waitForSelector('#toasts .toast-error:has-text("不能重复评价")');
    await page.click('#btn-new');
    await page.waitForSelector('#step-choose:not(.hidden)');
    expect(await page.evaluate(() => ['app-name', 'app-id', 'app-phone'].map((id) => (document.getElementById(id) as HTMLInputElement).value))).toEqual(['', '', '']);
    expect(await page.locator('#toasts .toast').count()).toBe(0);
    expect(await page.locator('#finish-documents tr[data-document]').count()).toBe(0);
    expect(await page.locator('#chat .line').count()).toBe(0);
    // Nor is the last applicant's document still loaded in the print frame.
    expect(await page.evaluate(() => (document.getElementById('print-frame') as HTMLIFrameElement).contentDocument?.URL)).toBe('about:blank');
    await SHOTS.take(page, 'next-applicant');
    expect(problems()).toEqual([]);
  });

  it('an applicant who leaves the queue takes camera and microphone along: nothing stays open here or on the server', async () => {
    const page = counter.page;
    await queueFromCounter(page, { name: '吴志明', idNumber: withCheckDigit('32058419650202123') }, '参保缴费证明开具');
    const left = await page.evaluate(() => (window as unknown as { rvw: { state: { caseView: { id: string } } } }).rvw.state.caseView.id);
    // The held-back call is connected while waiting.
    await expect.poll(() => t.node.registry.get(left) !== undefined, { timeout: 15_000 }).toBe(true);
    await page.click('#btn-leave');
    await page.waitForSelector('#step-choose:not(.hidden)');
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { __rvwTracks: MediaStreamTrack[] }).__rvwTracks.filter((tr) => tr.readyState === 'live').length), { timeout: 15_000 })
      .toBe(0);
    await expect.poll(() => t.node.registry.get(left), { timeout: 15_000 }).toBeUndefined();
    expect((await t.node.cases.getCase(left)).state).toBe('abandoned');
    expect(await page.inputValue('#app-id')).toBe('');
    expect(problems()).toEqual([]);
  });
});

/** A 1×1 PNG, the smallest material a clerk can capture. */
const TINY_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
