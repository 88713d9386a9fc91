import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type TestBrowser } from '../harness/browser';
import { collectPageLog } from '../harness/callPages';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';
import { WsClient } from '../harness/wsClient';

// The clerk sees how an issued document was printed at the counter and can allow one reprint
// (e.g. after a paper jam) from the clerk page.
describe('clerk page: print state and reprint approval', () => {
  let t: TestNode;
  let browser: TestBrowser;
  const logs: string[][] = [];

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
    const counterAuth = await t.counter('wujiang-kyth-01');
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
    const opened = await counter.request<'queue.join', { id: string }>('queue.join', {
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
    await expect.poll(async () => row.innerText(), { timeout: 10_000 }).toContain('已打印 1 次');
    expect((await counterAuth.api.call('POST', `/api/documents/${number}/print-token`, {})).error?.code).toBe('REPRINT_NOT_APPROVED');

    await row.locator('button.approve-reprint').click();
    await page.waitForSelector('#reason-dialog[open]');
    expect(await page.textContent('#reason-title')).toBe('批准重新打印');
    await page.fill('#reason-text', '打印机卡纸');
    await page.click('#reason-confirm');
    await expect.poll(async () => (await t.node.cases.getCase(opened.id)).documents[0]?.printLog?.map((e) => e.event), { timeout: 5000 }).toContain('reprint_approved');
    const again = await counterAuth.api.call<{ reprint: boolean }>('POST', `/api/documents/${number}/print-token`, {});
    expect(again.status).toBe(201);
    expect(again.data.reprint).toBe(true);
    const approval = (await t.node.cases.getCase(opened.id)).documents[0]?.printLog?.find((e) => e.event === 'reprint_approved');
    expect(approval).toBeDefined();
    expect(logs.flat().filter((l) => l.includes('native dialog'))).toEqual([]);
    counter.close();
  });
});
