import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type TestBrowser } from '../harness/browser';
import { collectPageLog } from '../harness/callPages';
import { startTestNode, type TestNode } from '../harness/testNode';

// The admin page in headless Chromium: who may open it, and that the server's refusals reach the
// administrator as readable Chinese text next to the form that caused them.
describe('admin page (admin.html)', () => {
  let t: TestNode;
  let adminBrowser: TestBrowser;
  let otherBrowser: TestBrowser;
  let admin: Page;
  const logs: string[][] = [];

  beforeAll(async () => {
    t = await startTestNode();
    [adminBrowser, otherBrowser] = await Promise.all([launchChromium(), launchChromium()]);
    await t.addCookie(adminBrowser.context, { name: 'rvw_sid', value: t.admin.jar.get('rvw_sid')! });
    admin = await adminBrowser.context.newPage();
    logs.push(collectPageLog(admin, 'admin'));
    await openAdmin(admin, t.origin);
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    console.log(logs.flat().join('\n'));
    // Refusals the pages showed the user are toasts, not console lines.
    for (const [label, page] of Object.entries({ admin })) console.log(`[${label}] toasts: ${await page?.evaluate(() => document.getElementById('toasts')?.textContent ?? '').catch(() => '')}`);
  });

  afterAll(async () => {
    await adminBrowser?.close();
    await otherBrowser?.close();
    await t?.dispose();
  });

  it('is not shown to a visitor who is not signed in, nor to a clerk', async () => {
    const page = await otherBrowser.context.newPage();
    logs.push(collectPageLog(page, 'other'));
    await page.goto(`${t.origin}/admin.html`);
    await page.waitForURL(/\/login\.html\?reason=UNAUTHENTICATED$/, { timeout: 15_000 });

    const clerk = await t.clerk('341522', ['000117005000'], '霍邱窗口 李娜');
    await t.addCookie(otherBrowser.context, clerk.cookie);
    await page.goto(`${t.origin}/admin.html`);
    // A clerk is sent to the clerk workbench; the admin page never rendered anything.
    await page.waitForURL(`${t.origin}/clerk.html`, { timeout: 15_000 });
    // And the data behind the page is refused to the clerk's session, whatever the page does.
    const answer = await page.evaluate(async () => {
      const res = await fetch('/api/admin/items');
      return { status: res.status, body: (await res.json()) as { ok: boolean; error?: { code: string } } };
    });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    await page.close();
  });

  it('shows the server refusal of a duplicate item code, and catches obvious mistakes before sending', async () => {
    await openTab(admin, 'items');
    await admin.fill('#item-code', '000117013000');
    await admin.fill('#item-name', '参保缴费证明开具（重复）');
    await admin.selectOption('#item-level', 'county');
    await admin.fill('#item-basis', '《中华人民共和国社会保险法》第四条');
    await admin.fill('#item-statutory', '1');
    await admin.fill('#item-promised', '3');

    // Client-side: promised longer than statutory never reaches the server.
    const posts: string[] = [];
    admin.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/api/admin/items')) posts.push(r.url());
    });
    await admin.click('#item-submit');
    await expect.poll(() => admin.locator('#item-form .form-error').textContent(), { timeout: 15_000 }).toBe('承诺办结时限不得超过法定办结时限');
    expect(posts).toHaveLength(0);

    // Server-side: the code is taken; its message is shown as it was sent.
    await admin.fill('#item-promised', '0');
    const answer = admin.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/admin/items'));
    await admin.click('#item-submit');
    const body = (await (await answer).json()) as { ok: boolean; error: { code: string; message: string } };
    expect(body).toMatchObject({ ok: false, error: { code: 'CATALOG_DUPLICATE' } });
    const error = admin.locator('#item-form .form-error');
    await expect.poll(() => error.textContent(), { timeout: 15_000 }).toBe(body.error.message);
    expect(body.error.message).toContain('服务事项 000117013000 已存在');
    expect(await error.isVisible()).toBe(true);
    // The existing item is untouched.
    expect((await t.node.catalog.require('item', '000117013000')).name).toBe('参保缴费证明开具');
  });

  it('refuses a partnership offering an item that no longer exists, with the message visible', async () => {
    // An item another administrator is about to delete.
    const created = await t.admin.call('POST', '/api/admin/items', {
      code: '000117099000',
      name: '临时测试事项',
      legalBasis: '测试用设定依据',
      level: 'county',
      materials: [{ id: 'id_card', name: '居民身份证', mandatory: true }],
      statutoryDays: 5,
      promisedDays: 1,
      issuedDocuments: ['receipt'],
    });
    expect(created.ok).toBe(true);
    await openAdmin(admin, t.origin);
    await openTab(admin, 'partnerships');
    await admin.fill('#partnership-id', 'wujiang-huoqiu-extra');
    await admin.fill('#partnership-name', '吴江—霍邱补充事项');
    await admin.selectOption('#partnership-region-a', '320509');
    await admin.selectOption('#partnership-region-b', '341522');
    await expect.poll(() => admin.locator('#offer-served-by-b legend').textContent(), { timeout: 15_000 }).toBe('六安市霍邱县 为 苏州市吴江区 的申请人办理的事项');
    await admin.check('#offer-served-by-b input[value="000117099000"]');

    // Meanwhile the item is deleted.
    await t.node.catalog.remove('item', '000117099000');

    await admin.click('#partnership-submit');
    const error = admin.locator('#partnership-form .form-error');
    await expect.poll(() => error.textContent(), { timeout: 15_000 }).toBe('合作关系 wujiang-huoqiu-extra 引用的服务事项 000117099000 不存在，请先创建');
    expect(await error.isVisible()).toBe(true);
    expect(await t.node.catalog.get('partnership', 'wujiang-huoqiu-extra')).toBeUndefined();
    // The form now offers only items that exist; what was typed is kept for a second try.
    await expect.poll(() => admin.locator('#offer-served-by-b input[value="000117099000"]').count(), { timeout: 15_000 }).toBe(0);
    expect(await admin.inputValue('#partnership-id')).toBe('wujiang-huoqiu-extra');
  });

  it('edits and deletes an item, refuses to delete one in use, and switches a partnership off', async () => {
    await openAdmin(admin, t.origin);
    const dialogs: string[] = [];
    admin.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.accept();
    });
    await openTab(admin, 'items');
    // Edit: the form is filled from the row, the code is fixed, the change is saved with PUT.
    await admin.click('#items-body tr[data-item="000121004000"] button[data-action="edit"]');
    expect(await admin.inputValue('#item-code')).toBe('000121004000');
    expect(await admin.locator('#item-code').getAttribute('readonly')).not.toBeNull();
    expect(await admin.locator('#item-materials tr.material-row').count()).toBe(1);
    await admin.fill('#item-promised', '1');
    await admin.fill('#item-statutory', '3');
    await admin.click('#item-submit');
    await expect.poll(() => admin.locator('#items-body tr[data-item="000121004000"]').textContent(), { timeout: 15_000 }).toContain('承诺 1 / 法定 3 个工作日');
    expect(await t.node.catalog.require('item', '000121004000')).toMatchObject({ promisedDays: 1, statutoryDays: 3, name: '住房公积金个人缴存证明出具' });

    // An item a partnership offers cannot be deleted: the server says by whom it is used.
    await admin.click('#items-body tr[data-item="000117005000"] button[data-action="delete"]');
    await expect.poll(() => admin.locator('#toasts .toast-error').last().textContent(), { timeout: 15_000 }).toContain('仍被引用');
    expect(await t.node.catalog.get('item', '000117005000')).toBeDefined();

    // An unused one can, after confirmation.
    const removable = await t.admin.call('POST', '/api/admin/items', {
      code: '000117098000',
      name: '待删除事项',
      legalBasis: '测试用设定依据',
      level: 'township',
      materials: [],
      statutoryDays: 0,
      promisedDays: 0,
      issuedDocuments: [],
    });
    expect(removable.ok).toBe(true);
    await openAdmin(admin, t.origin);
    await openTab(admin, 'items');
    await admin.click('#items-body tr[data-item="000117098000"] button[data-action="delete"]');
    await admin.waitForSelector('#items-body tr[data-item="000117098000"]', { state: 'detached' });
    expect(await t.node.catalog.get('item', '000117098000')).toBeUndefined();
    expect(dialogs.at(-1)).toContain('待删除事项');

    // Partnership off: counters stop offering it at once.
    await openTab(admin, 'partnerships');
    const row = admin.locator('#partnerships-body tr[data-partnership="wujiang-huoqiu"]');
    await row.locator('button[data-action="toggle-active"]').click();
    await expect.poll(() => row.locator('[data-active]').getAttribute('data-active'), { timeout: 15_000 }).toBe('false');
    expect((await t.node.catalog.require('partnership', 'wujiang-huoqiu')).active).toBe(false);
    await row.locator('button[data-action="toggle-active"]').click();
    await expect.poll(() => row.locator('[data-active]').getAttribute('data-active'), { timeout: 15_000 }).toBe('true');
  });

  it('defines an item’s 申请表: shows the saved entries, adds one, catches a choice without options, and keeps the form when other fields are edited (#18)', async () => {
    await openAdmin(admin, t.origin);
    await openTab(admin, 'items');
    await admin.click('#items-body tr[data-item="000117005000"] button[data-action="edit"]');
    const rows = admin.locator('#item-form-fields tr.form-field-row');
    expect(await rows.count()).toBe(11);
    // Saved entries keep their keys (open cases' values refer to them); what they are is shown.
    expect(await rows.nth(1).locator('input.form-key').inputValue()).toBe('applicant_id');
    expect(await rows.nth(1).locator('input.form-key').getAttribute('readonly')).not.toBeNull();
    expect(await rows.nth(1).locator('select.form-source').inputValue()).toBe('applicant.idNumber');
    expect(await rows.nth(4).locator('input.form-options').inputValue()).toBe('本人、配偶、子女、父母、其他法定继承人');

    // A new entry: a choice with no options never reaches the server.
    await admin.click('#btn-add-form-field');
    const added = rows.nth(11);
    await added.locator('input.form-key').fill('account_holder');
    await added.locator('input.form-label').fill('开户人');
    await added.locator('select.form-type').selectOption('select');
    await added.locator('input.form-required').check();
    const puts: string[] = [];
    admin.on('request', (r) => {
      if (r.method() === 'PUT' && r.url().endsWith('/api/admin/items/000117005000')) puts.push(r.url());
    });
    await admin.click('#item-submit');
    await expect.poll(() => admin.locator('#item-form .form-error').textContent(), { timeout: 15_000 }).toBe('申请表“开户人”是下拉选择，请填写选项');
    expect(puts).toHaveLength(0);
    await added.locator('input.form-options').fill('申领人本人、其他继承人');
    await admin.click('#item-submit');
    await expect.poll(async () => (await t.node.catalog.require('item', '000117005000')).form.length, { timeout: 15_000 }).toBe(12);
    expect((await t.node.catalog.require('item', '000117005000')).form.at(-1)).toEqual({ key: 'account_holder', label: '开户人', type: 'select', options: ['申领人本人', '其他继承人'], required: true, confirm: true });

    // Editing the item's other fields keeps its form whole.
    await admin.click('#items-body tr[data-item="000117005000"] button[data-action="edit"]');
    expect(await rows.count()).toBe(12);
    await admin.locator('#btn-add-form-field').scrollIntoViewIfNeeded();
    await admin.screenshot({ path: '/tmp/rvw-admin-form-fields.png' });
    await admin.fill('#item-promised', '2');
    await admin.click('#item-submit');
    await expect.poll(async () => (await t.node.catalog.require('item', '000117005000')).promisedDays, { timeout: 15_000 }).toBe(2);
    const saved = await t.node.catalog.require('item', '000117005000');
    expect(saved.form.map((f) => f.key)).toEqual(['applicant_name', 'applicant_id', 'applicant_phone', 'insured_name', 'relation', 'reason', 'event_date', 'bank_name', 'bank_account', 'address', 'remarks', 'account_holder']);
    expect(saved.form[1]).toMatchObject({ source: 'applicant.idNumber', required: true, confirm: true });
  });
});

async function openAdmin(page: Page, origin: string): Promise<void> {
  await page.goto(`${origin}/admin.html`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
}

async function openTab(page: Page, tab: string): Promise<void> {
  await page.click(`#tabs button[data-tab="${tab}"]`);
  await page.waitForSelector(`#tab-${tab}:not(.hidden)`);
}
