import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { pdftotext } from '../documents/support/popplerTools';
import { withCheckDigit } from '../harness/idNumber';
import { useCallPair } from '../journey/support/callPair';

/*
 * 帮办代办 (#18), walked in real Chromiums: at the counter the staff member ticks 由代办人办理 and
 * types the agent (a daughter acting for her father) and names themself as 帮办员; the form first
 * refuses the applicant's own number as the agent's and an unchosen relationship, in words. The
 * remote clerk accepts and sees who is actually at the counter — the agent whole, the helper —
 * and the checklist asks for the agent's ID card and the applicant's 授权委托书. The counter shows
 * the agent masked. The receipt the clerk issues names the agent. The next applicant's form is
 * empty, the agent box closed. Console errors, CSP violations and page errors fail it.
 */
const run = promisify(execFile);
const APPLICANT = { name: '陈建国', idNumber: withCheckDigit('34152219480312123') };
const AGENT = { name: '陈小红', idNumber: withCheckDigit('32058419800512342') };
const masked = (id: string) => `${id.slice(0, 4)}**********${id.slice(14)}`;

describe('帮办代办 at the counter: the agent and the helper named, seen by the clerk, on the documents (#18)', () => {
  const pair = useCallPair({ items: ['000117005000'], clerkName: '霍邱窗口 李娜' });

  it('queues with an agent and a helper, shows them to the clerk, asks for the 委托书, and names the agent on the receipt', async () => {
    const { t } = pair;
    const c = pair.clerk.page;
    const k = pair.counter.page;
    await c.goto(`${t.origin}/clerk.html`);
    await k.goto(`${t.origin}/counter.html`);
    await k.waitForSelector('#partner option', { state: 'attached' });
    await k.selectOption('#item', { label: '城乡居民基本养老保险个人账户一次性支付' });
    await k.fill('#app-name', APPLICANT.name);
    await k.fill('#app-id', APPLICANT.idNumber);
    // The agent's entries appear only for an agent.
    expect(await k.isVisible('#agent-fields')).toBe(false);
    await k.check('#agent-on');
    expect(await k.isVisible('#agent-fields')).toBe(true);
    await k.fill('#agent-name', AGENT.name);
    await k.fill('#agent-id', APPLICANT.idNumber);
    await k.click('#btn-queue');
    await expect.poll(() => k.locator('#toasts .toast-error').last().textContent()).toContain('代办人不能是申请人本人');
    await k.fill('#agent-id', AGENT.idNumber);
    await k.click('#btn-queue');
    await expect.poll(() => k.locator('#toasts .toast-error').last().textContent()).toContain('请选择代办人与申请人的关系');
    await k.selectOption('#agent-relation', '子女');
    await k.fill('#helper-name', '周敏');
    await k.screenshot({ path: '/tmp/rvw-agent-counter-form.png' });
    await k.click('#btn-queue');
    await k.waitForSelector('#step-consent:not(.hidden), #step-wait:not(.hidden), #step-call:not(.hidden)', { timeout: 15_000 });
    if (await k.isVisible('#step-consent')) await k.click('#btn-consent-agree');
    await k.waitForSelector('#step-wait:not(.hidden), #step-call:not(.hidden)', { timeout: 15_000 });
    const caseId = await k.evaluate(() => (window as unknown as { rvw: { state: { caseView: { id: string } } } }).rvw.state.caseView.id);
    const record = await t.node.cases.getCase(caseId);
    expect(record.agent).toEqual({ name: AGENT.name, idNumber: AGENT.idNumber, relationship: '子女' });
    expect(record.helper).toEqual({ name: '周敏' });
    // The form is empty for whoever comes next, the agent box closed.
    for (const id of ['#agent-name', '#agent-id', '#helper-name']) expect(await k.inputValue(id)).toBe('');
    expect(await k.isChecked('#agent-on')).toBe(false);

    // ---- the clerk sees who is at the counter ----
    await c.waitForSelector('#queue button.accept', { timeout: 15_000 });
    await c.click('#queue button.accept');
    await c.waitForSelector('#case-agent', { timeout: 15_000 });
    expect(await c.textContent('#case-agent')).toBe(`代办人：${AGENT.name}（子女）　身份证：${AGENT.idNumber}`);
    expect(await c.textContent('#case-helper')).toBe('申请地帮办员：周敏');
    // The agent's number stays whole on one line at the desk's 1366 px (an 18-digit number broken across lines is misread).
    expect(c.viewportSize()?.width).toBe(1366);
    expect(await c.$$eval('#case-agent .nowrap', (spans) => spans.map((sp) => [sp.textContent, sp.getClientRects().length]))).toEqual([
      [`代办人：${AGENT.name}（子女）`, 1],
      [`身份证：${AGENT.idNumber}`, 1],
    ]);
    const lines = await c.$$eval('#checklist tr', (rows) => rows.map((r) => r.querySelector('td')?.textContent));
    expect(lines.slice(-2)).toEqual(['代办人居民身份证', '授权委托书（申请人签字）']);
    // ---- the counter shows the agent masked (a public hall) ----
    await k.waitForSelector('#step-call:not(.hidden) #case-agent', { timeout: 20_000 });
    expect(await k.textContent('#case-agent')).toBe(`代办人：${AGENT.name}（子女）　证件号：${masked(AGENT.idNumber)}`);
    expect(await k.textContent('#case-helper')).toBe('帮办员：周敏');
    await c.screenshot({ path: '/tmp/rvw-agent-clerk.png' });

    // ---- the receipt names the agent ----
    await c.selectOption('#doc-type', 'receipt');
    await c.click('#btn-issue');
    await c.waitForSelector('#preview-dialog[open]');
    await c.click('#btn-confirm-issue');
    await expect.poll(async () => (await t.node.cases.getCase(caseId)).documents.length, { timeout: 15_000 }).toBe(1);
    const doc = (await t.node.cases.getCase(caseId)).documents[0]!;
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'rvw-agent-'));
    const file = path.join(tmp, 'receipt.pdf');
    await writeFile(file, await t.node.documentStore.readPdf({ sha256: doc.sha256, number: doc.number }));
    const text = (await pdftotext(file)).replace(/[ \u3000\n]+/g, '');
    expect(text).toContain(`代办人${AGENT.name}（与申请人关系：子女），证件号码${masked(AGENT.idNumber)}`);
    expect(text).toContain('帮办人员周敏');
    await run('pdftoppm', ['-r', '60', '-png', '-f', '1', '-l', '1', file, '/tmp/rvw-agent-receipt']);
    await rm(tmp, { recursive: true, force: true });
  });
});
