import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CDPSession, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type TestBrowser } from '../harness/browser';
import { collectPageLog, queueFromCounter, waitForMedia } from '../harness/callPages';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';

// Issue acceptance, end to end in three headless Chromiums: an administrator sets up a NEW
// partnership entirely through admin.html (two regions, a hall, a counter, a service item, the
// partnership), registers the counter's terminal and invites a clerk there; the terminal opens its
// activation link, the clerk enrols with a passkey (virtual authenticator) from the invite link;
// then one case runs from queue to 办结 and 好差评, and the shared record and its audit chain hold
// every step.

const APPLICANT = { code: '320506', name: '苏州市吴中区', province: '江苏省' };
const SERVING = { code: '341524', name: '六安市金寨县', province: '安徽省' };
const HALL = { id: 'wuzhong-zwfwzx', name: '吴中区政务服务中心', address: '江苏省苏州市吴中区东吴北路 101 号' };
const COUNTER = { id: 'wuzhong-kyth-01', name: '跨域通办窗口 1 号' };
const ITEM = {
  code: '000117003000',
  name: '城乡居民基本养老保险待遇申领',
  legalBasis: '《中华人民共和国社会保险法》第二十条、第二十一条；《国务院关于建立统一的城乡居民基本养老保险制度的意见》（国发〔2014〕8号）',
};
const PARTNERSHIP = { id: 'wuzhong-jinzhai', name: '吴中—金寨跨域通办' };
const CLERK_NAME = '金寨窗口 汪丽';
const CLERK_CHAT = '户口簿可以容缺，请在一周内补交。';
const COUNTER_CHAT = '好的，谢谢！';

type CaseView = { id: string; version: number };

describe('a partnership made in admin.html carries a case from queue to 办结 and 好差评', () => {
  let t: TestNode;
  let dataDir: string;
  let adminBrowser: TestBrowser;
  let counterBrowser: TestBrowser;
  let clerkBrowser: TestBrowser;
  let admin: Page;
  let counter: Page;
  let clerk: Page;
  const logs: string[][] = [];

  beforeAll(async () => {
    // Our own data dir, so the test can look at the stored blobs.
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'rvw-caseflow-'));
    t = await startTestNode({ env: { RVW_DATA_DIR: dataDir } });
    [adminBrowser, counterBrowser, clerkBrowser] = await Promise.all([launchChromium(), launchChromium(), launchChromium()]);
    await t.addCookie(adminBrowser.context, { name: 'rvw_sid', value: t.admin.jar.get('rvw_sid')! });
    await adminBrowser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.origin });
    admin = await adminBrowser.context.newPage();
    counter = await counterBrowser.context.newPage();
    clerk = await clerkBrowser.context.newPage();
    logs.push(collectPageLog(admin, 'admin'), collectPageLog(counter, 'counter'), collectPageLog(clerk, 'clerk'));
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    console.log(logs.flat().join('\n'));
    // Refusals the pages showed the user are toasts, not console lines.
    for (const [label, page] of Object.entries({ admin, counter, clerk })) console.log(`[${label}] toasts: ${await page?.evaluate(() => document.getElementById('toasts')?.textContent ?? '').catch(() => '')}`);
  });

  afterAll(async () => {
    await Promise.all([adminBrowser?.close(), counterBrowser?.close(), clerkBrowser?.close()]);
    await t?.dispose();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('admin setup → terminal activation → clerk enrolment → case handled, signed, completed and rated', async () => {
    // ---- 1. The administrator builds the partnership in admin.html. ----
    await admin.goto(`${t.origin}/admin.html`);
    await admin.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });

    await openTab(admin, 'regions');
    for (const r of [APPLICANT, SERVING]) {
      await admin.fill('#region-code', r.code);
      await admin.fill('#region-name', r.name);
      await admin.fill('#region-province', r.province);
      await admin.click('#region-submit');
      await admin.waitForSelector(`#regions-body tr[data-region="${r.code}"]`);
    }

    await openTab(admin, 'halls');
    await admin.fill('#hall-id', HALL.id);
    await admin.selectOption('#hall-region', APPLICANT.code);
    await admin.fill('#hall-name', HALL.name);
    await admin.fill('#hall-address', HALL.address);
    await admin.click('#hall-submit');
    await admin.waitForSelector(`#halls-body tr[data-hall="${HALL.id}"]`);
    await admin.fill('#counter-id', COUNTER.id);
    await admin.selectOption('#counter-hall', HALL.id);
    await admin.fill('#counter-name', COUNTER.name);
    await admin.click('#counter-submit');
    const counterRow = admin.locator(`#counters-body tr[data-counter="${COUNTER.id}"]`);
    await counterRow.waitFor();
    expect(await counterRow.locator('[data-status]').getAttribute('data-status')).toBe('none');

    await openTab(admin, 'items');
    await admin.fill('#item-code', ITEM.code);
    await admin.fill('#item-name', ITEM.name);
    await admin.selectOption('#item-level', 'county');
    await admin.fill('#item-basis', ITEM.legalBasis);
    // The first material row (居民身份证, 必需) is there already; add 户口簿 (必需) and 银行卡 (optional).
    await admin.click('#btn-add-material');
    await fillMaterialRow(admin, 2, { id: 'household_register', name: '户口簿', mandatory: true, description: '首页及本人页' });
    await admin.click('#btn-add-material');
    await fillMaterialRow(admin, 3, { id: 'bank_card', name: '银行卡或存折', mandatory: false, description: '' });
    await admin.fill('#item-statutory', '20');
    await admin.fill('#item-promised', '5');
    await admin.check('#item-documents input[value="receipt"]');
    await admin.check('#item-documents input[value="completion_notice"]');
    await admin.click('#item-submit');
    await admin.waitForSelector(`#items-body tr[data-item="${ITEM.code}"]`);

    await openTab(admin, 'partnerships');
    await admin.fill('#partnership-id', PARTNERSHIP.id);
    await admin.fill('#partnership-name', PARTNERSHIP.name);
    await admin.selectOption('#partnership-region-a', APPLICANT.code);
    await admin.selectOption('#partnership-region-b', SERVING.code);
    expect(await admin.locator('#offer-served-by-b legend').textContent()).toBe(`${SERVING.name} 为 ${APPLICANT.name} 的申请人办理的事项`);
    await admin.check(`#offer-served-by-b input[value="${ITEM.code}"]`);
    // Open on Saturdays too, one long window instead of the two default ones.
    await admin.check('#partnership-weekdays input[value="6"]');
    await admin.fill('#partnership-windows tr:nth-child(1) input.window-start', '08:30');
    await admin.fill('#partnership-windows tr:nth-child(1) input.window-end', '17:00');
    await admin.click('#partnership-windows tr:nth-child(2) button[data-action="remove-window"]');
    await admin.click('#partnership-submit');
    await admin.waitForSelector(`#partnerships-body tr[data-partnership="${PARTNERSHIP.id}"]`);

    // What the page wrote is what the catalogue holds.
    expect(await t.node.catalog.require('partnership', PARTNERSHIP.id)).toEqual({
      id: PARTNERSHIP.id,
      name: PARTNERSHIP.name,
      regions: [APPLICANT.code, SERVING.code],
      offers: [{ servingRegion: SERVING.code, applicantRegion: APPLICANT.code, itemCodes: [ITEM.code] }],
      serviceHours: { timezone: 'Asia/Shanghai', weekdays: [1, 2, 3, 4, 5, 6], windows: [{ start: '08:30', end: '17:00' }] },
      active: true,
    });
    expect(await t.node.catalog.require('item', ITEM.code)).toMatchObject({
      level: 'county',
      statutoryDays: 20,
      promisedDays: 5,
      issuedDocuments: ['receipt', 'completion_notice'],
      materials: [
        { id: 'id_card', name: '居民身份证', mandatory: true },
        { id: 'household_register', name: '户口簿', mandatory: true, description: '首页及本人页' },
        { id: 'bank_card', name: '银行卡或存折', mandatory: false },
      ],
    });

    // ---- 2. Register the counter's terminal; the link is shown once and can be copied. ----
    await openTab(admin, 'halls');
    await counterRow.locator('button[data-action="register-terminal"]').click();
    await admin.waitForSelector(`#terminal-result:not(.hidden)[data-counter="${COUNTER.id}"]`);
    const activationUrl = await admin.inputValue('#activation-url');
    expect(activationUrl).toMatch(new RegExp(`^${t.origin}/counter\\.html#activate=[A-Za-z0-9_-]{20,}$`));
    await admin.click('#btn-copy-activation');
    expect(await admin.evaluate(() => navigator.clipboard.readText())).toBe(activationUrl);
    await expect.poll(() => counterRow.locator('[data-status]').getAttribute('data-status')).toBe('pending');

    // ---- 3. Invite a clerk of the serving region for the new item. ----
    await openTab(admin, 'staff');
    await admin.selectOption('#invite-role', 'clerk');
    await admin.selectOption('#invite-region', SERVING.code);
    await admin.check(`#invite-items input[value="${ITEM.code}"]`);
    await admin.click('#invite-submit');
    await admin.waitForSelector('#invite-result:not(.hidden)');
    const inviteUrl = await admin.inputValue('#invite-url');
    expect(inviteUrl.startsWith(`${t.origin}/enroll.html#`)).toBe(true);

    // ---- 4. The terminal opens its activation link; the device cookie is set, offers appear. ----
    await counter.goto(activationUrl);
    await counter.waitForSelector('#partner option', { state: 'attached', timeout: 15_000 });
    expect(counter.url()).toBe(`${t.origin}/counter.html`);
    expect(await counter.locator('#counter-name').textContent()).toBe(`${HALL.name} · ${COUNTER.name}`);
    expect(await counter.locator('#partner option').allTextContents()).toEqual([SERVING.name]);
    expect(await counter.locator('#item option').allTextContents()).toEqual([ITEM.name]);

    // ---- 5. The clerk enrols a passkey from the invite link and signs in. ----
    await addVirtualAuthenticator(clerk);
    await clerk.goto(inviteUrl);
    await expect.poll(() => clerk.locator('#scope').textContent()).toContain(ITEM.name);
    await clerk.fill('#name', CLERK_NAME);
    await clerk.click('#register');
    await clerk.waitForSelector('#status[data-state="ok"]', { timeout: 20_000 });
    await clerk.goto(`${t.origin}/login.html`);
    await clerk.click('#login');
    await clerk.waitForURL(`${t.origin}/clerk.html`, { timeout: 20_000 });
    const clerkMe = await clerk.evaluate(async () => ((await (await fetch('/api/auth/me')).json()) as { data: { principal: { staffId: string; regionCode: string; itemCodes: string[] } } }).data.principal);
    expect(clerkMe).toMatchObject({ regionCode: SERVING.code, itemCodes: [ITEM.code] });

    // The admin page sees the terminal activated and the clerk enrolled.
    await admin.reload();
    await admin.waitForSelector('body[data-ready="true"]');
    expect(await counterRow.locator('[data-status]').getAttribute('data-status')).toBe('active');
    const staffRow = admin.locator(`#staff-body tr[data-staff="${clerkMe.staffId}"]`);
    expect(await staffRow.locator('[data-credential]').count()).toBe(1);

    // ---- 6. The case: queue, accept, materials, 容缺, chat, signature, 办结, 好差评. ----
    await queueFromCounter(counter, { name: '周秀英', idNumber: withCheckDigit('34152419560708242') }, ITEM.name);
    const caseId = await counter.evaluate(() => (window as unknown as { rvw: { state: { caseView: CaseView } } }).rvw.state.caseView.id);
    await clerk.waitForSelector(`#queue tr[data-case="${caseId}"] button.accept`, { timeout: 15_000 });
    await clerk.click(`#queue tr[data-case="${caseId}"] button.accept`);
    await waitForMedia(clerk, [{ source: 'document', kind: 'video' }], 5);
    await clerk.waitForFunction(() => (document.getElementById('remote-document') as HTMLVideoElement).videoWidth > 0);

    // 高拍仪 snapshot of the ID card, ticking its checklist line ...
    await checklistButton(clerk, '居民身份证', '拍照').click();
    await expect.poll(async () => (await t.node.cases.getCase(caseId)).checklist.find((c) => c.materialId === 'id_card')?.status, { timeout: 10_000 }).toBe('provided');
    // ... one more snapshot kept as a loose material ...
    await clerk.click('#btn-snapshot');
    await expect.poll(async () => (await t.node.cases.getCase(caseId)).materials.length, { timeout: 10_000 }).toBe(2);
    // ... and 户口簿 accepted as missing (容缺) with a note and a deadline, in the page's own dialog
    // (a native prompt() is recorded and fails the test).
    const deadline = new Date(Date.now() + 7 * 864e5).toISOString().slice(0, 10);
    const nativeDialogs: string[] = [];
    clerk.on('dialog', (d) => {
      nativeDialogs.push(d.message());
      void d.dismiss();
    });
    await checklistButton(clerk, '户口簿', '容缺').click();
    await clerk.waitForSelector('#waive-dialog[open]');
    await clerk.fill('#waive-note', '申请人承诺一周内补交户口簿');
    await clerk.fill('#waive-deadline', deadline);
    await clerk.click('#waive-confirm');
    await expect.poll(async () => (await t.node.cases.getCase(caseId)).checklist.find((c) => c.materialId === 'household_register')?.status, { timeout: 10_000 }).toBe('waived');
    expect(nativeDialogs).toEqual([]);

    await clerk.fill('#chat-text', CLERK_CHAT);
    await clerk.click('#btn-chat');
    await expect.poll(async () => (await t.node.cases.getCase(caseId)).chat.length).toBe(1);
    await counter.fill('#chat-text', COUNTER_CHAT);
    await counter.click('#btn-chat');
    await expect.poll(async () => (await t.node.cases.getCase(caseId)).chat.length).toBe(2);

    // The applicant signs on the counter screen (mouse strokes on the canvas).
    await settled(counter, t, caseId);
    await signOnCounter(counter);
    await expect.poll(async () => (await t.node.cases.getCase(caseId)).applicantSignatureSha256, { timeout: 10_000 }).toBeDefined();

    // 办结, from a clerk view that has caught up with the signature.
    await settled(clerk, t, caseId);
    await clerk.click('#btn-complete');
    await expect.poll(async () => (await t.node.cases.getCase(caseId)).state, { timeout: 10_000 }).toBe('completed');

    // 好差评 on the counter: 5 stars for the clerk (with a comment), 4 for the local counter.
    await counter.waitForSelector('#step-finish:not(.hidden)', { timeout: 10_000 });
    expect(await counter.locator('#finish-status').textContent()).toContain('已办结');
    await counter.locator('.stars[data-target="clerk"] button').nth(4).click();
    await counter.locator('.stars[data-target="counter"] button').nth(3).click();
    await counter.fill('#comment-clerk', '不用回老家就办好了');
    await counter.click('#btn-rate');
    await expect.poll(async () => Object.keys((await t.node.cases.getCase(caseId)).ratings).sort(), { timeout: 10_000 }).toEqual(['clerk', 'counter']);

    // ---- 7. The record holds all of it. ----
    const record = await t.node.cases.getCase(caseId);
    expect(record).toMatchObject({
      state: 'completed',
      partnershipId: PARTNERSHIP.id,
      itemCode: ITEM.code,
      itemName: ITEM.name,
      servingRegion: SERVING.code,
      applicantRegion: APPLICANT.code,
      hallId: HALL.id,
      counterId: COUNTER.id,
      clerkId: clerkMe.staffId,
      closeReason: '办结',
    });
    const [idCard, household, bankCard] = record.checklist;
    expect(idCard).toMatchObject({ materialId: 'id_card', mandatory: true, status: 'provided' });
    expect(household).toMatchObject({ materialId: 'household_register', mandatory: true, status: 'waived', waiver: { note: '申请人承诺一周内补交户口簿', deadline, by: clerkMe.staffId } });
    expect(bankCard).toMatchObject({ materialId: 'bank_card', mandatory: false, status: 'missing' });

    const cameraShots = record.materials.filter((m) => m.kind === 'document_camera');
    expect(cameraShots).toHaveLength(2);
    expect(cameraShots.map((m) => m.materialId)).toEqual(['id_card', undefined]);
    expect(idCard!.blobSha256).toBe(cameraShots[0]!.sha256);
    const signature = record.materials.filter((m) => m.kind === 'signature');
    expect(signature).toHaveLength(1);
    expect(signature[0]).toMatchObject({ mime: 'image/png', capturedBy: COUNTER.id, sha256: record.applicantSignatureSha256 });
    for (const m of record.materials) {
      // Each blob is on disk under its own hash, with the bytes and type the record claims.
      const bytes = await readFile(path.join(dataDir, 'blobs', m.sha256.slice(0, 2), m.sha256));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(m.sha256);
      expect(bytes.byteLength).toBe(m.size);
      if (m.mime === 'image/jpeg') expect([...bytes.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
      else expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
    }
    for (const m of cameraShots) expect(m).toMatchObject({ mime: 'image/jpeg', capturedBy: clerkMe.staffId });
    // The signature is the applicant's strokes on white (the pad draws nothing before the first
    // stroke; its export composes onto white): decoded by Chromium itself.
    const signatureBytes = await readFile(path.join(dataDir, 'blobs', signature[0]!.sha256.slice(0, 2), signature[0]!.sha256));
    const pixels = await counter.evaluate(async (b64) => {
      const bin = atob(b64);
      const bitmap = await createImageBitmap(new Blob([Uint8Array.from(bin, (ch) => ch.charCodeAt(0))], { type: 'image/png' }));
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(bitmap, 0, 0);
      const d = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
      let white = 0, dark = 0, transparent = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3]! < 255) transparent++;
        else if (d[i]! > 250 && d[i + 1]! > 250 && d[i + 2]! > 250) white++;
        else if (d[i]! < 80 && d[i + 1]! < 80 && d[i + 2]! < 80) dark++;
      }
      return { width: bitmap.width, height: bitmap.height, white, dark, transparent };
    }, signatureBytes.toString('base64'));
    expect(pixels).toMatchObject({ width: 700, height: 260, transparent: 0 });
    expect(pixels.dark).toBeGreaterThan(500);
    expect(pixels.white).toBeGreaterThan(700 * 260 * 0.8);

    expect(record.chat.map((l) => [l.role, l.text])).toEqual([
      ['clerk', CLERK_CHAT],
      ['counter', COUNTER_CHAT],
    ]);
    expect(record.ratings.clerk).toMatchObject({ score: 5, comment: '不用回老家就办好了' });
    expect(record.ratings.counter).toMatchObject({ score: 4 });
    expect(record.ratings.counter?.comment).toBeUndefined();

    // ---- 8. The audit chain is intact and tells the story in order. ----
    const { events, verdict } = await t.node.cases.audit(caseId);
    expect(verdict).toEqual({ ok: true, count: record.version });
    expect(events.map((e) => [e.action, e.actor.role])).toEqual([
      ['case.opened', 'counter'],
      ['case.accepted', 'clerk'],
      ['material.captured', 'clerk'],
      ['material.captured', 'clerk'],
      ['material.waived', 'clerk'],
      ['chat.added', 'clerk'],
      ['chat.added', 'counter'],
      ['signature.confirmed', 'counter'],
      ['case.completed', 'clerk'],
      ['case.rated', 'counter'],
      ['case.rated', 'counter'],
    ]);
    expect(events[2]!.data).toMatchObject({ materialId: 'id_card', sha256: cameraShots[0]!.sha256 });
    expect(events[7]!.data).toMatchObject({ sha256: record.applicantSignatureSha256 });
    expect(events.slice(-2).map((e) => e.data.target)).toEqual(['clerk', 'counter']);
    // Personal data stays out of the audit trail: the ID number appears only masked.
    expect(JSON.stringify(events)).not.toContain(withCheckDigit('34152419560708242'));
  }, 180_000);
});

async function openTab(page: Page, tab: string): Promise<void> {
  await page.click(`#tabs button[data-tab="${tab}"]`);
  await page.waitForSelector(`#tab-${tab}:not(.hidden)`);
}

async function fillMaterialRow(page: Page, n: number, m: { id: string; name: string; mandatory: boolean; description: string }): Promise<void> {
  const row = page.locator(`#item-materials tr.material-row:nth-child(${n})`);
  await row.locator('input.material-id').fill(m.id);
  await row.locator('input.material-name').fill(m.name);
  await row.locator('input.material-mandatory').setChecked(m.mandatory);
  await row.locator('input.material-description').fill(m.description);
}

/** A button of the clerk's checklist row for a material. */
function checklistButton(page: Page, material: string, label: string) {
  return page.locator('#checklist tr', { hasText: material }).getByRole('button', { name: label, exact: true });
}

/** Chromium's virtual authenticator (CTAP2, resident keys, user verification) on this page. */
async function addVirtualAuthenticator(page: Page): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  });
  return cdp;
}

/** Waits until the page's case view has caught up with the record (no notification in flight). */
async function settled(page: Page, t: TestNode, caseId: string): Promise<void> {
  await expect
    .poll(
      async () => {
        const [record, view] = await Promise.all([
          t.node.cases.getCase(caseId),
          page.evaluate(() => (window as unknown as { rvw: { state: { caseView?: CaseView } } }).rvw.state.caseView?.version),
        ]);
        return view === record.version;
      },
      { timeout: 10_000 },
    )
    .toBe(true);
}

/**
 * Draws a signature on the counter's canvas and confirms it. The counter page keeps the pad in its
 * finish step, which it shows only after 办结, while the server (rightly) takes the signature only
 * before 办结; until the page shows the pad during the session, the test reveals it itself.
 */
async function signOnCounter(page: Page): Promise<void> {
  const pad = page.locator('#signature');
  if (!(await pad.isVisible())) await page.evaluate(() => document.getElementById('step-finish')!.classList.remove('hidden'));
  await pad.scrollIntoViewIfNeeded();
  const box = (await pad.boundingBox())!;
  const at = (fx: number, fy: number) => [box.x + box.width * fx, box.y + box.height * fy] as const;
  for (const stroke of [
    [at(0.1, 0.6), at(0.2, 0.3), at(0.3, 0.7), at(0.4, 0.35)],
    [at(0.5, 0.4), at(0.6, 0.65), at(0.75, 0.3), at(0.9, 0.55)],
  ]) {
    await page.mouse.move(...stroke[0]!);
    await page.mouse.down();
    for (const p of stroke.slice(1)) await page.mouse.move(...p, { steps: 5 });
    await page.mouse.up();
  }
  await page.click('#btn-sign');
}
