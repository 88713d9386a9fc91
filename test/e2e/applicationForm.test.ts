import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { pdfsig, pdftotext } from '../documents/support/popplerTools';
import { acceptAndDecode, pageMarks, queueFromCounter, signAtCounter } from '../harness/callPages';
import { withCheckDigit } from '../harness/idNumber';
import { useCallPair } from '../journey/support/callPair';

/*
 * 同屏帮办 (#18), walked by the two people in real Chromiums: the applicant queues for the pension
 * item at the 吴江 counter, the 霍邱 clerk accepts, and the item's application form (申请表) shows
 * on both screens — the applicant's name and number taken from the case (masked at the counter),
 * the rest typed. The counter types an entry, the clerk sees it; the clerk picks an option, the
 * counter sees it with the clerk's name. Both then type the same entry before either has seen the
 * other's (the counter's save held on its way): one is saved, the other screen shows both values
 * and keeps its own until its person chooses — nothing is lost, and the chain holds both writes. The clerk cannot issue the 申请表 before the applicant signs, nor
 * after a change made since; signed again, it is issued as a PDF that pdfsig trusts and that
 * prints what both wrote. Console errors, CSP violations and page errors fail it.
 */
const run = promisify(execFile);
const APPLICANT = { name: '陈建国', idNumber: withCheckDigit('34152219580312123') };

describe('申请表 on both screens: filled together, each change seen at once, a clash never lost (#18)', () => {
  // The two refusals the clerk is shown (unsigned, changed since) are answers to the page's own
  // preview check; Chromium logs every refused request. Anything else still fails.
  const pair = useCallPair({
    items: ['000117005000'],
    clerkName: '霍邱窗口 李娜',
    expected: [/console error: Failed to load resource: the server responded with a status of 409 \(Conflict\) \(http:\/\/[^)]+\/api\/cases\/[^/]+\/documents\/preview\/application_form\)$/],
  });

  it('fills the form from both screens, shows who wrote what, and keeps both values of a clash until a person chooses', async () => {
    const { t, clerkId } = pair;
    const c = pair.clerk.page;
    const k = pair.counter.page;
    await c.goto(`${t.origin}/clerk.html`);
    await k.goto(`${t.origin}/counter.html`);
    await queueFromCounter(k, APPLICANT, '城乡居民基本养老保险个人账户一次性支付');
    const caseId = await k.evaluate(() => (window as unknown as { rvw: { state: { caseView: { id: string } } } }).rvw.state.caseView.id);
    await c.waitForSelector('#queue button.accept', { timeout: 15_000 });
    await acceptAndDecode(k, c, '#queue button.accept');

    // ---- the same form on both screens; the applicant's entries from the case ----
    for (const p of [c, k]) await p.waitForSelector('#form-card:not(.hidden) #form-insured_name');
    expect(await c.textContent('#form-applicant_name')).toBe(APPLICANT.name);
    expect(await c.textContent('#form-applicant_id')).toBe(APPLICANT.idNumber);
    // The counter stands in a public hall: the number masked there, as everywhere on that screen.
    expect(await k.textContent('#form-applicant_id')).toBe(`${APPLICANT.idNumber.slice(0, 4)}**********${APPLICANT.idNumber.slice(14)}`);
    const labels = (p: Page) => p.$$eval('#app-form .form-row label', (ls) => ls.map((l) => l.textContent));
    expect(await labels(k)).toEqual(await labels(c));
    expect(await labels(k)).toContain('银行账号 *');

    // ---- the counter types; the clerk sees it ----
    await k.click('#form-insured_name');
    await k.keyboard.type('陈添荣', { delay: 40 });
    await expect.poll(() => c.inputValue('#form-insured_name'), { timeout: 5000 }).toBe('陈添荣');
    expect(await c.textContent('#form-insured_name-by')).toMatch(/^申请地窗口 \d\d:\d\d 填写$/);
    // The writer's own line waits for its acknowledgement, which may arrive after the other screen's notification.
    await expect.poll(() => k.textContent('#form-insured_name-by'), { timeout: 5000 }).toMatch(/^我方 \d\d:\d\d 填写$/);
    // ---- the clerk picks an option; the counter sees it with the clerk's name ----
    await c.selectOption('#form-relation', '子女');
    await expect.poll(() => k.inputValue('#form-relation'), { timeout: 5000 }).toBe('子女');
    expect(await k.textContent('#form-relation-by')).toMatch(/^受理地工作人员 霍邱窗口 李娜 \d\d:\d\d 填写$/);
    // How long a change takes from leaving one screen to showing on the other (same machine clock):
    // the two above, and five more each way on 备注, printed. The issue's 300 ms is a performance
    // goal, judged by `npm run bench:form-sync` on a machine that runs nothing else: under the
    // suite's load a median here read 570 ms (clean-clone run AA) where the bench reads far less.
    // Here each change must arrive, be marked where it left and where it showed, and show after it left.
    const latencies = { counterToClerk: [] as number[], clerkToCounter: [] as number[] };
    const took = async (from: Page, to: Page, key: string, rev: number) => (await pageMarks(to))[`form:shown:${key}:${rev}`]! - (await pageMarks(from))[`form:sent:${key}:${rev}`]!;
    // The write that stored the value now shown: typed character by character on a loaded machine,
    // 陈添荣 can be saved in more than one write, and the other screen may skip straight to the last.
    const storedRev = async (key: string) => (await t.node.cases.getCase(caseId)).form!.values[key]!.rev;
    latencies.counterToClerk.push(await took(k, c, 'insured_name', await storedRev('insured_name')));
    latencies.clerkToCounter.push(await took(c, k, 'relation', await storedRev('relation')));
    for (let i = 0; i < 10; i++) {
      const [from, to, direction] = i % 2 === 0 ? [k, c, 'counterToClerk' as const] : [c, k, 'clerkToCounter' as const];
      await from.fill('#form-remarks', `第${i + 1}稿`);
      await expect.poll(() => to.inputValue('#form-remarks'), { timeout: 5000 }).toBe(`第${i + 1}稿`);
      await expect.poll(async () => Number.isFinite(await took(from, to, 'remarks', i + 1)), { timeout: 5000 }).toBe(true);
      latencies[direction].push(await took(from, to, 'remarks', i + 1));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    process.stdout.write(`form change seen on the other screen (ms): counter→clerk ${latencies.counterToClerk.join(', ')}; clerk→counter ${latencies.clerkToCounter.join(', ')}\n`);
    for (const xs of Object.values(latencies)) {
      expect(xs).toHaveLength(6);
      for (const ms of xs) expect(ms).toBeGreaterThanOrEqual(0);
    }
    process.stdout.write(`median (ms): counter→clerk ${median(latencies.counterToClerk)}, clerk→counter ${median(latencies.clerkToCounter)}\n`);

    // ---- both type the same entry before either has seen the other's: one is saved, the other
    // kept on its screen. The counter's save is held on its way (a slow line) until the clerk's is
    // stored, so the clash happens every run: left to the two pages' timers, a loaded machine can
    // store and show one side's value before the other starts typing, and then there is no clash.
    await k.evaluate(() => {
      const send = WebSocket.prototype.send;
      const held: [WebSocket, string][] = [];
      const w = window as unknown as { rvwHeld: () => number; rvwRelease: () => void };
      w.rvwHeld = () => held.length;
      w.rvwRelease = () => {
        WebSocket.prototype.send = send;
        for (const [ws, m] of held.splice(0)) send.call(ws, m);
      };
      WebSocket.prototype.send = function (this: WebSocket, m: string | ArrayBufferLike | Blob | ArrayBufferView) {
        if (typeof m === 'string' && m.includes('"type":"form.set"') && m.includes('"key":"bank_name"')) held.push([this, m]);
        else send.call(this, m);
      };
    });
    await k.click('#form-bank_name');
    await k.keyboard.type('农业银行', { delay: 10 });
    await k.click('#form-bank_account'); // leaving the entry saves it (held)
    await expect.poll(() => k.evaluate(() => (window as unknown as { rvwHeld: () => number }).rvwHeld()), { timeout: 5000 }).toBe(1);
    expect(await c.inputValue('#form-bank_name')).toBe('');
    await c.click('#form-bank_name');
    await c.keyboard.type('建设银行', { delay: 10 });
    await c.click('#form-bank_account');
    await expect.poll(async () => (await t.node.cases.getCase(caseId)).form?.values.bank_name?.value, { timeout: 5000 }).toBe('建设银行');
    // The counter still shows its own, unsaved; its save now arrives with the rev it last saw.
    expect(await k.inputValue('#form-bank_name')).toBe('农业银行');
    await k.evaluate(() => (window as unknown as { rvwRelease: () => void }).rvwRelease());
    const conflicted = async () => {
      const [kc, cc] = [await k.isVisible('.form-row[data-key="bank_name"].conflict'), await c.isVisible('.form-row[data-key="bank_name"].conflict')];
      return kc ? 'counter' : cc ? 'clerk' : 'none';
    };
    await expect.poll(conflicted, { timeout: 5000 }).toBe('counter');
    // The counter's save came second and lost; the clerk's value is stored, the counter's still on its screen.
    const loser = 'counter';
    const [lp, wp] = [k, c];
    const [mine, theirs] = ['农业银行', '建设银行'];
    expect(await wp.isVisible('.form-row[data-key="bank_name"].conflict')).toBe(false);
    await expect.poll(async () => (await t.node.cases.getCase(caseId)).form?.values.bank_name?.value).toBe(theirs);
    expect(await lp.inputValue('#form-bank_name')).toBe(mine);
    expect(await lp.textContent('#form-bank_name-problem')).toContain(`为“${theirs}”，与您填写的“${mine}”不同。您的内容尚未保存。`);
    await expect.poll(() => wp.inputValue('#form-bank_name')).toBe(theirs);
    await lp.screenshot({ path: `/tmp/rvw-form-conflict-${loser}.png` });
    // The loser keeps theirs: saved over the winner's (seen), and the winner's screen follows.
    await lp.click('.form-row[data-key="bank_name"] button.keep-mine');
    await expect.poll(() => wp.inputValue('#form-bank_name'), { timeout: 5000 }).toBe(mine);
    await expect.poll(() => lp.isVisible('.form-row[data-key="bank_name"].conflict'), { timeout: 5000 }).toBe(false);
    const stored = (await t.node.cases.getCase(caseId)).form!.values.bank_name!;
    expect(stored).toMatchObject({ value: mine, rev: 2, side: loser });
    // Neither value was lost: both writes are in the chain, in order, with who wrote them.
    const { events } = await t.node.cases.history(caseId);
    const filled = events.filter((e) => e.action === 'form.filled').map((e) => ({ by: e.actor.id, ...(e.data as { key: string; value: string }) }));
    expect(filled.filter((f) => f.key === 'bank_name').map((f) => f.value)).toEqual([theirs, mine]);
    expect(filled.find((f) => f.key === 'relation')).toMatchObject({ by: clerkId, value: '子女' });
    expect(filled.find((f) => f.key === 'insured_name')).toMatchObject({ by: 'wujiang-kyth-01', value: '陈添荣' });

    // The rest of the required entries, from the clerk's side.
    await c.fill('#form-bank_account', '6228480000000000001');
    await c.selectOption('#form-reason', '参保人死亡');
    await c.fill('#form-event_date', '2025-06-30');
    await expect.poll(() => k.inputValue('#form-event_date'), { timeout: 5000 }).toBe('2025-06-30');
    await expect.poll(() => k.inputValue('#form-bank_account'), { timeout: 5000 }).toBe('6228480000000000001');
    await expect.poll(() => k.inputValue('#form-reason'), { timeout: 5000 }).toBe('参保人死亡');
    for (const p of [c, k]) await expect.poll(() => p.textContent('#form-card .form-status')).toBe('必填项已填写完毕，请申请人核对后签字确认。');
    await c.screenshot({ path: '/tmp/rvw-form-clerk.png', fullPage: true });
    await k.screenshot({ path: '/tmp/rvw-form-counter.png' });
    // 大字模式 at the counter: the form's entries stay whole on the screen, one under another.
    await k.click('#btn-large-type');
    const boxes = await k.$$eval('#app-form .form-row', (rows) => rows.map((r) => r.getBoundingClientRect()).map((b) => ({ left: b.left, right: b.right, width: b.width })));
    const width = k.viewportSize()!.width;
    for (const b of boxes) {
      expect(b.left).toBeGreaterThanOrEqual(0);
      expect(b.right).toBeLessThanOrEqual(width);
    }
    await k.locator('#form-card').screenshot({ path: '/tmp/rvw-form-counter-large.png' });
    await k.click('#btn-large-type');

    // ---- the applicant confirms by signing; the clerk issues the signed 申请表 ----
    const issue = async () => {
      await c.selectOption('#doc-type', 'application_form');
      await c.click('#btn-issue');
    };
    const lastToast = (p: Page) => p.locator('#toasts .toast-error').last().textContent();
    // Not before the applicant has signed: told in words, nothing issued.
    await issue();
    await expect.poll(() => lastToast(c), { timeout: 10_000 }).toContain('申请人尚未签字确认申请表');
    expect((await t.node.cases.getCase(caseId)).documents).toEqual([]);
    expect(await k.textContent('#sign-hint')).toBe('请核对左侧申请表后，在框内签名确认（办结前必需）');
    await signAtCounter(k);
    for (const p of [c, k]) await expect.poll(() => p.getAttribute('#form-card .form-status', 'data-state'), { timeout: 5000 }).toBe('confirmed');
    expect(await c.textContent('#form-card .form-status')).toMatch(/^申请人已于 \d\d:\d\d 签字确认本表；此后如再修改，需重新签字。$/);
    // A change after the signature unconfirms the form on both screens and asks the applicant again.
    await k.fill('#form-address', '苏州市吴江区松陵街道');
    await k.press('#form-address', 'Tab');
    for (const p of [c, k]) await expect.poll(() => p.getAttribute('#form-card .form-status', 'data-state'), { timeout: 5000 }).toBe('changed');
    await expect.poll(() => k.textContent('#sign-status')).toBe('申请表在签字后有修改，请核对后重新签字');
    await k.screenshot({ path: '/tmp/rvw-form-counter-resign.png' });
    await issue();
    await expect.poll(() => lastToast(c), { timeout: 10_000 }).toContain('申请表在申请人签字后又有修改');
    expect((await t.node.cases.getCase(caseId)).documents).toEqual([]);
    await signAtCounter(k);
    for (const p of [c, k]) await expect.poll(() => p.getAttribute('#form-card .form-status', 'data-state'), { timeout: 5000 }).toBe('confirmed');
    await issue();
    await c.waitForSelector('#preview-dialog[open]');
    await c.click('#btn-confirm-issue');
    await c.waitForSelector('#preview-dialog:not([open])', { state: 'attached' });
    await expect.poll(async () => (await t.node.cases.getCase(caseId)).documents.map((d) => d.type), { timeout: 15_000 }).toEqual(['application_form']);
    await expect.poll(() => c.locator('#toasts').innerText()).toContain('已签章出具申请表');
    const record = await t.node.cases.getCase(caseId);
    const doc = record.documents[0]!;
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'rvw-form-'));
    const file = path.join(tmp, 'application-form.pdf');
    await writeFile(file, await t.node.documentStore.readPdf({ sha256: doc.sha256, number: doc.number }));
    const nssDir = path.join(tmp, 'nss');
    await mkdir(nssDir);
    await run('certutil', ['-N', '--empty-password', '-d', `sql:${nssDir}`]);
    await run('certutil', ['-A', '-n', 'rvw-ca', '-t', 'CT,C,C', '-i', path.join(t.node.configPkiDir, 'ca.pem'), '-d', `sql:${nssDir}`]);
    const report = await pdfsig(file, nssDir);
    expect(report.signatureValid, report.raw).toBe(true);
    expect(report.certificateTrusted, report.raw).toBe(true);
    expect(report.totalDocumentSigned, report.raw).toBe(true);
    // What the two sides wrote, as the applicant confirmed it, bound to the signature that confirmed it.
    const text = (await pdftotext(file)).replace(/[ \u3000\n]+/g, '');
    for (const value of ['陈添荣', '子女', '参保人死亡', mine, '6228480000000000001', '2025-06-30', '苏州市吴江区松陵街道', APPLICANT.name, record.number!]) expect(text).toContain(value);
    expect(text).toContain(`${APPLICANT.idNumber.slice(0, 4)}**********${APPLICANT.idNumber.slice(14)}`);
    expect(text).not.toContain(APPLICANT.idNumber);
    expect(text).toContain(record.form!.confirmed!.signatureSha256.slice(0, 32));
    expect(record.form!.confirmed!.signatureSha256).toBe(record.applicantSignatureSha256);
    await run('pdftoppm', ['-r', '60', '-png', '-f', '1', '-l', '1', file, '/tmp/rvw-form-issued']);
    await rm(tmp, { recursive: true, force: true });
  });
});
