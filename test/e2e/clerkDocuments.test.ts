import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pdftotext } from '../documents/support/popplerTools';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';
import { WsClient } from '../harness/wsClient';
import { launchPerson, StepShots, type Person } from '../journey/support/person';

// The clerk, on the clerk page only: sees the case number, opens the materials the counter
// captured, 容缺 with a date picker that refuses a past date, previews the notice before
// 签章出具 (nothing is issued until confirmed), is offered only the item's document types, and
// after 不予受理 can change nothing. The page fails the test on console errors, CSP violations,
// page errors and ASCII validation text (PageGuard).
describe('clerk page: case number, materials, 容缺 dialog, preview before issuing, closed case', () => {
  let t: TestNode;
  let clerk: Person;
  let page: Page;
  let counter: WsClient;
  let caseId: string;
  let tmp: string;
  const shots = new StepShots(path.join('test-results', 'clerk'));

  beforeAll(async () => {
    t = await startTestNode();
    const staff = await t.clerk('341522', ['000117005000'], '霍邱 王芳');
    const counterAuth = await t.counter('wujiang-kyth-01');
    clerk = await launchPerson('clerk');
    page = clerk.page;
    await t.addCookie(clerk.browser.context, staff.cookie);
    await page.goto(`${t.origin}/clerk.html`);
    counter = await WsClient.connect(t.origin, counterAuth.cookie);
    const opened = await counter.request('queue.join', {
      partnershipId: 'wujiang-huoqiu',
      itemCode: '000117005000',
      applicant: { name: '陈桂香', idNumber: withCheckDigit('34152219560303222') },
    });
    caseId = opened.id;
    await page.click(`#queue tr[data-case="${caseId}"] button.accept`);
    await page.waitForSelector('#call-view:not(.hidden)');
    tmp = await mkdtemp(path.join(os.tmpdir(), 'rvw-clerk-docs-'));
  });

  afterAll(async () => {
    counter?.close();
    await clerk?.close();
    await t?.dispose();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const noProblems = (step: string) => expect(clerk.guard.takeProblems(step)).toEqual([]);

  it('shows the human case number, no record version, and only the item’s document types', async () => {
    const number = (await t.node.cases.getCase(caseId)).number;
    expect(number).toMatch(/^341522-\d{8}-\d{4}$/);
    expect(await page.textContent('#case-number')).toBe(number);
    const summary = (await page.textContent('#case-summary')) ?? '';
    expect(summary).not.toContain('版本');
    expect(summary).not.toContain(caseId);
    await page.waitForFunction(() => document.querySelectorAll('#doc-type option').length > 0);
    const offered = await page.$$eval('#doc-type option', (os) => os.map((o) => ({ value: (o as HTMLOptionElement).value, text: o.textContent })));
    // What the item issues, then — the pension item has an application form (#18) — its 申请表.
    expect(offered).toEqual([
      { value: 'receipt', text: '受理回执' },
      { value: 'missing_notice', text: '容缺受理告知书' },
      { value: 'completion_notice', text: '办结通知书' },
      { value: 'application_form', text: '申请表' },
    ]);
    noProblems('case number');
  });

  it('lists a captured material as a thumbnail that opens the full picture', async () => {
    // A 高拍仪 picture of the ID card, as the counter's capture sends it.
    const jpeg = await page.evaluate(() => {
      const c = document.createElement('canvas');
      c.width = 640;
      c.height = 400;
      const g = c.getContext('2d')!;
      g.fillStyle = '#e8d9b0';
      g.fillRect(0, 0, 640, 400);
      g.fillStyle = '#1a56a8';
      g.fillRect(40, 40, 180, 220);
      return c.toDataURL('image/jpeg', 0.9).split(',')[1]!;
    });
    await counter.request('material.capture', { caseId, materialId: 'id_card', mime: 'image/jpeg', dataBase64: jpeg });
    const thumb = page.locator('#materials button.thumb');
    await thumb.first().waitFor({ timeout: 15_000 });
    expect(await thumb.count()).toBe(1);
    expect(await thumb.first().innerText()).toContain('居民身份证');
    await page.waitForFunction(() => (document.querySelector('#materials img') as HTMLImageElement | null)?.naturalWidth === 640);
    expect(await page.textContent('tr[data-material="id_card"] .material-status')).toContain('已提交');
    await page.evaluate(() => window.scrollTo(0, 0));
    await shots.take(page, 'case-view-top');
    await page.locator('#materials').scrollIntoViewIfNeeded();
    await shots.take(page, 'case-view-materials');

    await thumb.first().click();
    await page.waitForSelector('#material-dialog[open]');
    await page.waitForFunction(() => (document.getElementById('material-full') as HTMLImageElement).naturalWidth === 640);
    expect(await page.textContent('#material-title')).toBe('居民身份证');
    await shots.take(page, 'material-full-view');
    await page.click('#material-close');
    await page.waitForSelector('#material-dialog:not([open])', { state: 'attached' });
    // Another clerk of the item who does not hold the case cannot open it.
    const other = await t.clerk('341522', ['000117005000'], '霍邱 旁观');
    const sha = (await t.node.cases.getCase(caseId)).materials[0]!.sha256;
    const refused = await other.api.call('GET', `/api/cases/${caseId}/materials/${sha}`);
    expect(refused.status).toBe(403);
    noProblems('materials');
  });

  it('容缺 in a dialog with a date picker: a past date is refused in Chinese, a later one accepted', async () => {
    await page.click('tr[data-material="household_register"] button.waive');
    await page.waitForSelector('#waive-dialog[open]');
    expect(await page.getAttribute('#waive-deadline', 'type')).toBe('date');
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    expect(await page.getAttribute('#waive-deadline', 'min')).toBe(today);
    const yesterday = new Date(Date.parse(today) - 864e5).toISOString().slice(0, 10);
    await page.fill('#waive-deadline', yesterday);
    await page.click('#waive-confirm');
    await page.waitForSelector('#waive-dialog .form-error:not(.hidden)');
    expect(await page.textContent('#waive-dialog .form-error')).toBe('补交期限不能早于今天，请重新选择');
    expect(await page.$eval('#waive-dialog', (d) => (d as HTMLDialogElement).open)).toBe(true);
    await shots.take(page, 'waive-past-date-refused');

    const later = new Date(Date.parse(today) + 10 * 864e5).toISOString().slice(0, 10);
    await page.fill('#waive-deadline', later);
    await page.fill('#waive-note', '户口簿在老家，申请人承诺十日内补交');
    await page.click('#waive-confirm');
    await page.waitForSelector('#waive-dialog:not([open])', { state: 'attached' });
    await expect.poll(() => page.textContent('tr[data-material="household_register"] .material-status'), { timeout: 15_000 }).toContain(`容缺（${later} 前补交）`);
    const line = (await t.node.cases.getCase(caseId)).checklist.find((c) => c.materialId === 'household_register');
    expect(line).toMatchObject({ status: 'waived', waiver: { deadline: later, note: '户口簿在老家，申请人承诺十日内补交' } });
    noProblems('容缺');
  });

  it('previews the 容缺受理告知书 before 签章出具; nothing is issued until confirmed; the notice follows the checklist', async () => {
    // Cancelling the preview issues nothing.
    await page.selectOption('#doc-type', 'receipt');
    await page.click('#btn-issue');
    await page.waitForSelector('#preview-dialog[open]');
    await page.click('#preview-cancel');
    await page.waitForSelector('#preview-dialog:not([open])', { state: 'attached' });
    expect((await t.node.cases.getCase(caseId)).documents).toEqual([]);

    await page.selectOption('#doc-type', 'missing_notice');
    const previewLoaded = page.waitForResponse((r) => r.url().endsWith(`/api/cases/${caseId}/documents/preview/missing_notice`) && r.request().resourceType() === 'document');
    await page.click('#btn-issue');
    await page.waitForSelector('#preview-dialog[open]');
    const response = await previewLoaded;
    expect(response.status()).toBe(200);
    expect(response.headers()['content-type']).toContain('application/pdf');
    expect(await page.textContent('#preview-title')).toBe('文书预览：容缺受理告知书');
    // The preview is the unsigned layout marked 预览; nothing numbered or attached yet.
    const previewFile = path.join(tmp, 'preview.pdf');
    const bytes = await page.evaluate(async (url) => {
      const buf = new Uint8Array(await (await fetch(url)).arrayBuffer());
      let s = '';
      for (const b of buf) s += String.fromCharCode(b);
      return btoa(s);
    }, response.url());
    await writeFile(previewFile, Buffer.from(bytes, 'base64'));
    expect((await pdftotext(previewFile)).replace(/[ \u3000]+/g, '')).toContain('预览·未签章、未编号，不具效力');
    expect((await t.node.cases.getCase(caseId)).documents).toEqual([]);
    // The PDF viewer in the frame paints its first page a moment after the response.
    await page.waitForTimeout(3000);
    await shots.take(page, 'preview-before-issue');

    await page.click('#btn-confirm-issue');
    await page.waitForSelector('#preview-dialog:not([open])', { state: 'attached' });
    const row = page.locator('#documents tr[data-document]');
    await row.first().waitFor({ timeout: 15_000 });
    const record = await t.node.cases.getCase(caseId);
    expect(record.documents.map((d) => d.type)).toEqual(['missing_notice']);
    const doc = record.documents[0]!;
    expect(await row.first().innerText()).toContain(doc.number);

    const file = path.join(tmp, 'notice.pdf');
    await writeFile(file, await t.node.documentStore.readPdf({ sha256: doc.sha256, number: doc.number }));
    const text = (await pdftotext(file)).replace(/[ \u3000\n]+/g, '');
    expect(text).toContain('您已提交“居民身份证”');
    expect(text).toContain('户口簿');
    expect(text).toContain('下列材料尚未提交，也未予容缺受理：“银行卡或存折”、“死亡证明或其他证明材料”');
    expect(text).not.toContain('主要申请材料齐全');
    expect(text).toContain(record.number!);
    expect(text).not.toContain('预览');
    noProblems('preview and issue');
  });

  it('不予受理 asks for the reason in a dialog; afterwards every action on the case is disabled', async () => {
    await page.click('#btn-reject');
    await page.waitForSelector('#reason-dialog[open]');
    expect(await page.textContent('#reason-title')).toBe('不予受理');
    await page.click('#reason-confirm');
    expect(await page.textContent('#reason-dialog .form-error')).toBe('请填写不予受理的理由');
    await page.fill('#reason-text', '申请人不符合一次性支付条件');
    await page.click('#reason-confirm');
    await expect.poll(() => page.textContent('#case-state'), { timeout: 15_000 }).toBe('不予受理');
    for (const id of ['btn-issue', 'btn-complete', 'btn-pending', 'btn-suspend', 'btn-reject', 'btn-save', 'btn-snapshot', 'btn-chat', 'doc-type', 'field-note']) {
      expect(await page.$eval(`#${id}`, (el) => (el as HTMLButtonElement).disabled), id).toBe(true);
    }
    expect(await page.locator('#checklist button.waive, #checklist button.capture').count()).toBe(0);
    expect(await page.textContent('#case-closed')).toBe('本办件不予受理，办理操作已停用。');
    expect(clerk.guard.messages).toContain('办件状态：不予受理');
    expect(clerk.guard.messages.join('\n')).not.toContain('已已');
    await shots.take(page, 'closed-case');
    noProblems('closed case');
  });
});
