import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../harness/testNode';
import { launchPerson, StepShots, type Person } from '../journey/support/person';
import path from 'node:path';

const NO_PASSKEY = '此设备上没有可用的通行密钥，请使用已登记的设备登录，或请管理员重新发送邀请。';

// The administrator sees the invites nobody has used yet and can revoke one, whose link then
// stops working; the invitee's enrolment page names the region and items; a sign-in on a device
// without a passkey says where to go. Every page fails the test on console errors, CSP
// violations, page errors and ASCII validation text (PageGuard).
describe('admin: pending invites; enrolment names; login without a passkey', () => {
  let t: TestNode;
  let admin: Person;
  let page: Page;
  const others: Person[] = [];
  const shots = new StepShots(path.join('test-results', 'admin-invites'));

  beforeAll(async () => {
    t = await startTestNode();
    admin = await launchPerson('admin');
    page = admin.page;
    await t.addCookie(admin.browser.context, { name: 'rvw_sid', value: t.admin.jar.get('rvw_sid')! });
    // runAction asks before revoking; the administrator says yes.
    page.on('dialog', (d) => void d.accept());
  });

  afterAll(async () => {
    for (const p of others) await p.close();
    await admin?.close();
    await t?.dispose();
  });

  const noProblems = (p: Person, step: string) => expect(p.guard.takeProblems(step)).toEqual([]);

  async function openStaffTab(): Promise<void> {
    await page.goto(`${t.origin}/admin.html`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    await page.click('#tabs button[data-tab="staff"]');
    await page.waitForSelector('#tab-staff:not(.hidden)');
  }

  async function inviteClerk(itemCode: string): Promise<string> {
    await page.selectOption('#invite-role', 'clerk');
    await page.selectOption('#invite-region', '341522');
    await page.check(`#invite-items input[value="${itemCode}"]`);
    await page.click('#invite-submit');
    await page.waitForSelector('#invite-result:not(.hidden)');
    return page.inputValue('#invite-url');
  }

  it('lists an unused invite with names, and the invitee’s page names region and items', async () => {
    await openStaffTab();
    expect(await page.textContent('#invites-body')).toContain('没有尚未使用的邀请');
    const url = await inviteClerk('000117005000');
    // A 1366×768 screen less the browser's own bars; the link at the bottom of the window (as after
    // 生成邀请链接 on such a screen): 复制 and its toast cover neither the link nor 复制.
    await page.setViewportSize({ width: 1366, height: 657 });
    await page.locator('#invite-url').evaluate((e) => e.scrollIntoView({ block: 'end' }));
    await page.click('#btn-copy-invite');
    await page.waitForSelector('#toasts .toast:has-text("已复制")');
    for (const sel of ['#invite-url', '#btn-copy-invite']) {
      const target = page.locator(sel);
      await target.evaluate((e) => e.scrollIntoView({ block: 'nearest' }));
      const box = (await target.boundingBox())!;
      for (const toastBox of await page.locator('#toasts .toast').evaluateAll((ts) => ts.map((x) => x.getBoundingClientRect().toJSON() as DOMRect))) {
        const apart = toastBox.right <= box.x || toastBox.left >= box.x + box.width || toastBox.bottom <= box.y || toastBox.top >= box.y + box.height;
        expect(apart, `a toast covers ${sel}`).toBe(true);
      }
      // What a click at the middle of the control reaches is the control itself.
      const hit = await page.evaluate(([x, y, s]) => document.elementFromPoint(x!, y!)?.closest(s!) !== null, [box.x + box.width / 2, box.y + box.height / 2, sel] as const);
      expect(hit, `${sel} reachable`).toBe(true);
    }
    await shots.take(page, 'invite-link-toast');
    await page.setViewportSize({ width: 1366, height: 768 });
    const row = page.locator('#invites-body tr[data-invite]');
    await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(1);
    const text = await row.first().innerText();
    expect(text).toContain('异地窗口工作人员');
    expect(text).toContain('六安市霍邱县');
    expect(text).toContain('城乡居民基本养老保险个人账户一次性支付');
    await row.first().locator('button[data-action="revoke-invite"]').scrollIntoViewIfNeeded();
    await shots.take(page, 'pending-invite');

    const invitee = await launchPerson('invitee', { passkey: true });
    others.push(invitee);
    await invitee.page.goto(url);
    await expect.poll(() => invitee.page.textContent('#scope'), { timeout: 15_000 }).toBe(
      '您受邀注册为：异地窗口工作人员（地区：六安市霍邱县；事项：城乡居民基本养老保险个人账户一次性支付）',
    );
    await shots.take(invitee.page, 'enrol-names');
    noProblems(invitee, 'enrol page');
    noProblems(admin, 'invite listed');
  });

  it('revokes an invite: the row goes and the link no longer works', async () => {
    const row = page.locator('#invites-body tr[data-invite]');
    const id = await row.first().getAttribute('data-invite');
    const url = await page.inputValue('#invite-url');
    await row.first().locator('button[data-action="revoke-invite"]').click();
    await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(0);
    expect(admin.guard.messages).toContain('邀请已撤销，该链接已失效');
    const listed = await t.admin.call<{ invites: { id: string }[] }>('GET', '/api/admin/invites');
    expect(listed.data.invites.map((i) => i.id)).not.toContain(id);

    const invitee = others[0]!;
    await invitee.page.goto('about:blank');
    await invitee.page.goto(url);
    await expect.poll(() => invitee.page.textContent('#status'), { timeout: 15_000 }).toBe('邀请链接无效，请核对链接是否完整，或联系管理员重新邀请。');
    expect(await invitee.page.isHidden('#enroll')).toBe(true);
    // Revoking again: gone for everyone.
    const again = await t.admin.call('POST', `/api/admin/invites/${id}/revoke`, {});
    expect(again.status).toBe(404);
    expect(again.error?.code).toBe('INVITE_NOT_FOUND');
    noProblems(admin, 'revoke');
  });

  it('an invite that was used leaves the list', async () => {
    await openStaffTab();
    const url = await inviteClerk('000117013000');
    const row = page.locator('#invites-body tr[data-invite]');
    await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(1);
    const invitee = await launchPerson('new clerk', { passkey: true });
    others.push(invitee);
    await invitee.page.goto(url);
    await invitee.page.waitForSelector('#enroll:not([hidden])');
    await invitee.page.fill('#name', '霍邱 孙丽');
    await invitee.page.click('#register');
    await invitee.page.waitForSelector('#done:not([hidden])', { timeout: 15_000 });
    await openStaffTab();
    await expect.poll(() => page.textContent('#invites-body'), { timeout: 15_000 }).toContain('没有尚未使用的邀请');
    noProblems(invitee, 'enrolled');
    noProblems(admin, 'used invite');
  });

  it('sign-in on a device with no passkey says to use the registered device or ask for a new invite', async () => {
    const stranger = await launchPerson('stranger', { passkey: true });
    others.push(stranger);
    await stranger.page.goto(`${t.origin}/login.html`);
    await stranger.page.click('#login');
    await expect.poll(() => stranger.page.textContent('#status'), { timeout: 30_000 }).toContain(NO_PASSKEY);
    expect(await stranger.page.textContent('#status')).not.toContain('操作已取消或超时');
    expect(await stranger.page.isEnabled('#login')).toBe(true);
    await shots.take(stranger.page, 'login-no-passkey');
    noProblems(stranger, 'login without passkey');
  });
});
