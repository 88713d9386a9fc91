import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type TestBrowser } from '../harness/browser';
import { collectPageLog } from '../harness/callPages';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';
import { WsClient } from '../harness/wsClient';
import { launchPerson, StepShots } from '../journey/support/person';

// The clerk sees how an issued document was printed at the counter and can allow one reprint
// (e.g. after a paper jam) from the clerk page.
describe('clerk page: print state and reprint approval', () => {
  let t: TestNode;
  let browser: TestBrowser;
  const logs: string[][] = [];
  // The one 吴江 counter terminal, activated once for both tests.
  let device: Awaited<ReturnType<TestNode['counter']>> | undefined;
  const counterDevice = async () => (device ??= await t.counter('wujiang-kyth-01'));

  beforeAll(async () => {
    t = await startTestNode();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.dispose();
  });

  it('shows 已打印 1 次 and approves a reprint that the counter can then use once', async () => {
    const clerkAuth = await t.clerk('341522', ['000117013000'], '霍邱 郑洁');
    const counterAuth = await counterDevice();
    await t.addCookie(browser.context, clerkAuth.cookie);
    const page = await browser.context.newPage();
    logs.push(collectPageLog(page, 'clerk'));
    // No native prompt(): a native dialog would be a failure.
    page.on('dialog', (d) => {
      logs.at(-1)?.push(`native dialog: ${d.message()}`);
      void d.dismiss();
    });
    await page.goto(`${t.origin}/clerk.html`);

    const counter = await WsClient.connect(t.origin, counterAuth.cookie);
    const opened = await counter.request('queue.join', {
      partnershipId: 'wujiang-huoqiu',
      itemCode: '000117013000',
      applicant: { name: '冯玉兰', idNumber: withCheckDigit('32058419590909121') },
    });
    await page.waitForSelector(`#queue tr[data-case="${opened.id}"] button.accept`);
    await page.click(`#queue tr[data-case="${opened.id}"] button.accept`);
    await page.waitForSelector('#call-view:not(.hidden)');
    await page.waitForSelector('#doc-type option[value="payment_certificate"]', { state: 'attached' });
    await page.selectOption('#doc-type', 'payment_certificate');
    await page.click('#btn-issue');
    await page.waitForSelector('#preview-dialog[open]');
    await page.click('#btn-confirm-issue');
    const issued = await counter.next((n) => n.type === 'document.issued', 10_000);
    const number = (issued as { number: string }).number;

    // The counter prints once: loads the PDF, then confirms the print dialog opened.
    const token = await counterAuth.api.call<{ token: string }>('POST', `/api/documents/${number}/print-token`, {});
    expect((await fetch(`${t.origin}/api/print/${token.data.token}`)).status).toBe(200);
    expect((await counterAuth.api.call('POST', `/api/documents/${number}/print-confirm`, { token: token.data.token })).status).toBe(200);
    const row = page.locator(`tr[data-document="${number}"]`);
    await expect.poll(async () => row.innerText(), { timeout: 15_000 }).toContain('已打印 1 次');
    expect((await counterAuth.api.call('POST', `/api/documents/${number}/print-token`, {})).error?.code).toBe('REPRINT_NOT_APPROVED');

    await row.locator('button.approve-reprint').click();
    await page.waitForSelector('#reason-dialog[open]');
    expect(await page.textContent('#reason-title')).toBe('批准重新打印');
    await page.fill('#reason-text', '打印机卡纸');
    await page.click('#reason-confirm');
    await expect.poll(async () => (await t.node.cases.getCase(opened.id)).documents[0]?.printLog?.map((e) => e.event), { timeout: 15_000 }).toContain('reprint_approved');
    const again = await counterAuth.api.call<{ reprint: boolean }>('POST', `/api/documents/${number}/print-token`, {});
    expect(again.status).toBe(201);
    expect(again.data.reprint).toBe(true);
    const approval = (await t.node.cases.getCase(opened.id)).documents[0]?.printLog?.find((e) => e.event === 'reprint_approved');
    expect(approval).toBeDefined();
    expect(logs.flat().filter((l) => l.includes('native dialog'))).toEqual([]);
    counter.close();
  });

  it('after 办结 the closed case stays on screen: final state, actions disabled, print state live, reprint approved, then 返回队列', async () => {
    const clerkAuth = await t.clerk('341522', ['000117013000'], '霍邱 孙倩');
    const counterAuth = await counterDevice();
    // The journey's guard: console errors, CSP violations, page errors, native dialogs fail the test.
    const clerk = await launchPerson('clerk');
    await t.addCookie(clerk.browser.context, clerkAuth.cookie);
    const page = clerk.page;
    await page.goto(`${t.origin}/clerk.html`);

    const counter = await WsClient.connect(t.origin, counterAuth.cookie);
    const opened = await counter.request('queue.join', {
      partnershipId: 'wujiang-huoqiu',
      itemCode: '000117013000',
      applicant: { name: '韩秀珍', idNumber: withCheckDigit('32058419570505122') },
    });
    await page.click(`#queue tr[data-case="${opened.id}"] button.accept`);
    await page.waitForSelector('#call-view:not(.hidden)');
    await page.waitForSelector('#doc-type option[value="payment_certificate"]', { state: 'attached' });
    await page.selectOption('#doc-type', 'payment_certificate');
    await page.click('#btn-issue');
    await page.waitForSelector('#preview-dialog[open]');
    await page.click('#btn-confirm-issue');
    const number = ((await counter.next((n) => n.type === 'document.issued', 10_000)) as { number: string }).number;
    await counter.request('material.capture', { caseId: opened.id, materialId: 'id_card', mime: 'image/png', dataBase64: TINY_PNG });
    await counter.request('signature.submit', { caseId: opened.id, pngBase64: TINY_PNG });

    await page.click('#btn-complete');
    await expect.poll(() => page.textContent('#case-state'), { timeout: 15_000 }).toBe('已办结');
    // The call ends on both sides, yet the clerk still sees the case: no jump back to the queue.
    await page.waitForTimeout(1500);
    expect(await page.locator('#call-view').isVisible()).toBe(true);
    expect(await page.locator('#queue-view').isVisible()).toBe(false);
    expect(await page.textContent('#case-closed')).toBe('本办件已办结，办理操作已停用。');
    expect(await page.locator('#case-closed').isVisible()).toBe(true);
    for (const id of ['btn-issue', 'btn-complete', 'btn-pending', 'btn-suspend', 'btn-reject', 'btn-save', 'btn-snapshot', 'btn-screen', 'btn-hangup', 'btn-chat', 'doc-type', 'field-note']) {
      expect(await page.$eval(`#${id}`, (el) => (el as HTMLButtonElement).disabled), id).toBe(true);
    }
    const back = page.locator('#btn-back-queue');
    expect(await back.isVisible()).toBe(true);
    expect(await back.isEnabled()).toBe(true);

    // The counter prints after the close; the clerk's row follows, and a reprint can still be approved.
    const token = await counterAuth.api.call<{ token: string }>('POST', `/api/documents/${number}/print-token`, {});
    expect(token.status).toBe(201);
    expect((await fetch(`${t.origin}/api/print/${token.data.token}`)).status).toBe(200);
    expect((await counterAuth.api.call('POST', `/api/documents/${number}/print-confirm`, { token: token.data.token })).status).toBe(200);
    const row = page.locator(`#documents tr[data-document="${number}"]`);
    await expect.poll(() => row.innerText(), { timeout: 15_000 }).toContain('已打印 1 次');
    expect((await counterAuth.api.call('POST', `/api/documents/${number}/print-token`, {})).error?.code).toBe('REPRINT_NOT_APPROVED');
    await row.locator('button.approve-reprint').click();
    await page.waitForSelector('#reason-dialog[open]');
    await page.fill('#reason-text', '打印机缺纸');
    await page.click('#reason-confirm');
    await page.waitForSelector('#toasts .toast:has-text("已批准申请地窗口重新打印一次")');
    const again = await counterAuth.api.call<{ reprint: boolean }>('POST', `/api/documents/${number}/print-token`, {});
    expect(again.status).toBe(201);
    expect(again.data.reprint).toBe(true);

    // A new applicant queues meanwhile: the count in the header says so while the closed case is shown.
    const next = await counter.request('queue.join', {
      partnershipId: 'wujiang-huoqiu',
      itemCode: '000117013000',
      applicant: { name: '曹德明', idNumber: withCheckDigit('32058419620606121') },
    });
    await expect.poll(() => page.locator('#queue-count').innerText(), { timeout: 15_000 }).toBe('排队 1 人');
    expect(await page.locator('#queue-count').isVisible()).toBe(true);
    await new StepShots(path.resolve('test-results/clerk-reprint')).take(page, 'closed-case');

    await back.click();
    await page.waitForSelector('#queue-view:not(.hidden)');
    expect(await page.locator('#call-view').isVisible()).toBe(false);
    await page.waitForSelector(`#queue tr[data-case="${next.id}"] button.accept`);
    expect(clerk.guard.takeProblems('closed case')).toEqual([]);
    counter.close();
    await clerk.close();
  });

  it('退出 in one tab of a sign-in takes its other tab to the login page without an error message', async () => {
    const clerkAuth = await t.clerk('341522', ['000117013000'], '霍邱 周敏');
    const clerk = await launchPerson('clerk');
    await t.addCookie(clerk.browser.context, clerkAuth.cookie);
    const first = clerk.page;
    await first.goto(`${t.origin}/clerk.html`);
    const second = await clerk.browser.context.newPage();
    await second.goto(`${t.origin}/clerk.html`);
    await second.waitForSelector('#queue-view:not(.hidden)');
    await first.waitForSelector('#queue-view:not(.hidden)');

    await first.getByRole('link', { name: '退出' }).click();
    await first.waitForURL(/\/login\.html/);
    // The other tab's socket was closed by the logout (auth.revoked, reason session.logout): it
    // follows to the login page, and nothing tells the clerk the sign-in "expired".
    await second.waitForURL(/\/login\.html/, { timeout: 15_000 });
    expect(clerk.guard.messages.filter((m) => m.includes('失效'))).toEqual([]);
    expect(clerk.guard.takeProblems('sign-out')).toEqual([]);
    await clerk.close();
  });
});

/** A 1×1 PNG, the smallest material a side can capture. */
const TINY_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
