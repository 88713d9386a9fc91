import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signAtCounter } from '../harness/callPages';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';
import { WsClient } from '../harness/wsClient';
import { launchPerson, StepShots, type Person } from '../journey/support/person';

/*
 * 语音提示 at the counter (#18): an applicant who reads with difficulty hears each key step in
 * Chinese — the recording notice, the queue, the call, a document to print, the end — from the
 * browser's own zh-CN speech. Switched at the terminal and remembered there; off by default; the
 * prompts never say the applicant's name or ID number. The applicant's side is clicked in
 * Chromium; the remote clerk's side goes over its socket. What the page asks the browser to say is
 * read by wrapping speechSynthesis.speak (the real one still runs).
 */
const ITEM = '000117013000';
const ITEM_NAME = '参保缴费证明开具';
const TINY_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const SHOTS = new StepShots(path.resolve('test-results/voice-prompts'));

interface Said {
  text: string;
  lang: string;
}

describe('语音提示: the counter says its key steps in Chinese, switched at the terminal', { timeout: 180_000 }, () => {
  let t: TestNode;
  let counter: Person;
  let clerkWs: WsClient;

  beforeAll(async () => {
    t = await startTestNode({ env: { RVW_RECORDING: 'on' } });
    const clerk = await t.clerk('341522', [ITEM], '霍邱社保 李娜');
    clerkWs = await WsClient.connect(t.origin, clerk.cookie);
    const device = await t.counter('wujiang-kyth-01');
    counter = await launchPerson('counter');
    await t.addCookie(counter.browser.context, device.cookie);
    await counter.browser.context.addInitScript(() => {
      const w = window as unknown as { said: Said[]; cancels: number };
      w.said = [];
      w.cancels = 0;
      const synth = window.speechSynthesis;
      const speak = synth.speak.bind(synth);
      const cancel = synth.cancel.bind(synth);
      synth.speak = (u: SpeechSynthesisUtterance) => {
        w.said.push({ text: u.text, lang: u.lang });
        speak(u);
      };
      synth.cancel = () => {
        w.cancels += 1;
        cancel();
      };
    });
  });
  afterEach(() => {
    expect(counter.guard.takeProblems('counter'), 'console errors, CSP violations or page errors on the counter').toEqual([]);
  });
  afterAll(async () => {
    clerkWs?.close();
    await counter?.close();
    await t?.dispose();
  });

  const said = (page: Page) => page.evaluate(() => (window as unknown as { said: Said[] }).said.map((s) => ({ ...s })));
  const cancels = (page: Page) => page.evaluate(() => (window as unknown as { cancels: number }).cancels);
  const texts = async (page: Page) => (await said(page)).map((s) => s.text);

  async function fillAndQueue(page: Page, name: string, idNumber: string): Promise<void> {
    await page.waitForSelector('#partner option', { state: 'attached' });
    await page.selectOption('#item', { label: ITEM_NAME });
    await page.fill('#app-name', name);
    await page.fill('#app-id', idNumber);
    await page.click('#btn-queue');
    await page.waitForSelector('#step-consent:not(.hidden)');
  }

  it('off by default: the notice comes and nothing is said; switched on, it stays on after a reload', async () => {
    const page = counter.page;
    await page.goto(`${t.origin}/counter.html`);
    const button = page.getByRole('button', { name: /语音提示/ });
    await expect.poll(() => button.getAttribute('aria-pressed')).toBe('false');
    expect(await button.innerText()).toBe('语音提示：关');
    await fillAndQueue(page, '吴桂芳', withCheckDigit('32058419481120112'));
    expect(await said(page)).toEqual([]);
    await page.click('#btn-consent-refuse');
    await page.waitForSelector('#step-declined:not(.hidden)');
    expect(await said(page)).toEqual([]);

    await button.click();
    expect(await button.getAttribute('aria-pressed')).toBe('true');
    expect(await button.innerText()).toBe('语音提示：开');
    await page.reload();
    await page.waitForSelector('#partner option', { state: 'attached' });
    expect(await page.getByRole('button', { name: /语音提示/ }).getAttribute('aria-pressed')).toBe('true');
    await SHOTS.take(page, 'voice-on');
  });

  it('on: the notice, the queue, the call, a document and the end are each said once, in zh-CN, never with the name or ID number; off cuts it short and says nothing more', async () => {
    const page = counter.page;
    await page.goto(`${t.origin}/counter.html`);
    expect(await page.getByRole('button', { name: /语音提示/ }).getAttribute('aria-pressed')).toBe('true');
    const name = '吴桂芳';
    const idNumber = withCheckDigit('32058419481120112');
    await fillAndQueue(page, name, idNumber);
    await expect.poll(() => texts(page)).toEqual([expect.stringContaining('录音录像')]);
    expect((await texts(page))[0]).toContain('同意并继续');

    await page.click('#btn-consent-agree');
    await page.waitForSelector('#step-wait:not(.hidden)', { timeout: 15_000 });
    await expect.poll(async () => (await texts(page)).length).toBe(2);
    expect((await texts(page))[1]).toContain('已为您排队');
    const caseId = await page.evaluate(() => (window as unknown as { rvw: { state: { caseView: { id: string } } } }).rvw.state.caseView.id);

    await clerkWs.request('queue.accept', { caseId });
    await page.waitForSelector('#step-call:not(.hidden)', { timeout: 15_000 });
    await expect.poll(async () => (await texts(page)).length).toBe(3);
    expect((await texts(page))[2]).toContain('工作人员已接通');

    const doc = await clerkWs.request('document.issue', { caseId, docType: 'payment_certificate' });
    await page.waitForSelector(`#documents tr[data-document="${doc.number}"] button.print`);
    await expect.poll(async () => (await texts(page)).length).toBe(4);
    expect((await texts(page))[3]).toContain('打印');
    // A case refresh (a chat line) repeats no step.
    await clerkWs.request('chat.send', { caseId, text: '请稍候' });
    await page.waitForSelector('#chat .line:has-text("请稍候")');
    await page.waitForTimeout(500);
    expect(await texts(page)).toHaveLength(4);

    // No step of its own: the pad is on the call's screen.
    await signAtCounter(page);

    await clerkWs.request('material.waive', { caseId, materialId: 'id_card', note: '原件后补', deadline: '2099-12-31' }).catch(async () => {
      await clerkWs.request('material.capture', { caseId, materialId: 'id_card', mime: 'image/png', dataBase64: TINY_PNG });
    });
    const view = await t.node.cases.getCase(caseId);
    await clerkWs.request('case.transition', { caseId, expectedVersion: view.version, to: 'completed' });
    await page.waitForSelector('#step-finish:not(.hidden)', { timeout: 15_000 });
    await expect.poll(async () => (await texts(page)).length).toBe(5);
    expect((await texts(page))[4]).toContain('办理已结束');

    const all = await said(page);
    expect(all).toHaveLength(5);
    for (const s of all) {
      expect(s.lang).toBe('zh-CN');
      expect(s.text).not.toContain(name);
      expect(s.text).not.toContain(idNumber.slice(0, 6));
    }

    // Off: what is being said stops, and the next applicant's steps are not said.
    const cancelsBefore = await cancels(page);
    await page.getByRole('button', { name: /语音提示/ }).click();
    expect(await cancels(page)).toBeGreaterThan(cancelsBefore);
    await page.click('#btn-new');
    await fillAndQueue(page, '钱志强', withCheckDigit('32058419551003151'));
    await page.waitForTimeout(500);
    expect(await said(page)).toHaveLength(5);
    await page.click('#btn-consent-refuse');
  });
});
