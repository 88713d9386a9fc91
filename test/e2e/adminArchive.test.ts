import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import type { Partnership } from '@rvw/protocol/catalog';
import type { Principal } from '@rvw/signaling/auth/Principal';
import { archiveCaughtUp } from '@rvw/signaling/archive/ArchiveFeeder';
import { CaseStore } from '@rvw/signaling/cases/CaseStore';
import { issueDocument } from '@rvw/signaling/issuing/issueDocument';
import { DemoPaymentHistory } from '@rvw/signaling/issuing/PaymentHistorySource';
import { ApiClient, tokenOf } from '../auth/apiClient';
import { SoftAuthenticator } from '../auth/softAuthenticator';
import { APPLICANT, fakeClock, ITEMS, jpegBytes, pngBytes, startCaseWorld, WUJIANG_COUNTER, type CaseWorld } from '../cases/fixtures';
import { launchChromium, type TestBrowser } from '../harness/browser';
import { startTestNode, type TestNode } from '../harness/testNode';
import { PageGuard } from '../journey/support/pageGuard';
import { StepShots } from '../journey/support/person';

/*
 * The administrator's 办件档案 tab in Chromium, against a real node with its case archive in a
 * real PostgreSQL. Cases are seeded through the case use cases on the node's Redis (a clock set
 * back over the last eight days), one of them a whole file: materials, 容缺, a signed 受理回执,
 * signature, 办结, a 差评 and its 整改. The node's feeder copies them into the archive, and the
 * finished ones older than a day then leave Redis, so the page finds and opens cases that only
 * PostgreSQL holds. The administrators type and click what the page shows; what it shows is
 * compared with the records and their audit chains. One audit event is then edited in Redis, and
 * the page must say where the chain breaks. Any console error, CSP violation or page error fails
 * the test (PageGuard).
 */

const HUOQIU = '341522';
const WUJIANG = '320509';
const KUNSHAN = '320583';
const WH = 'wujiang-huoqiu';
const KH = 'kunshan-huoqiu';
const KUNSHAN_COUNTER: Principal = { kind: 'counter', counterId: 'kunshan-kyth-01', hallId: 'kunshan-zwfwzx', regionCode: KUNSHAN, name: '跨域通办窗口 1 号' };
const CHAT = '请把银行卡放在高拍仪下，卡号是 6222020200112233445';

const DAY_MS = 86_400_000;
const cst = (at: string | number) => new Date((typeof at === 'string' ? Date.parse(at) : at) + 8 * 3_600_000).toISOString().slice(0, 10);
const daysBefore = (day: string, n: number) => cst(Date.parse(`${day}T12:00:00+08:00`) - n * DAY_MS);
/** Newest first, ties by id descending: the archive's order. */
const newestFirst = (rs: CaseRecord[]) => [...rs].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).map((r) => r.id);

describe('admin page: 办件档案 tab', () => {
  let t: TestNode;
  let seeding: CaseWorld;
  let browser: TestBrowser;
  let guard: PageGuard;
  let page: Page;
  const ids: string[] = [];
  /** The case with everything in its file. */
  let file: CaseRecord;
  let khCase: CaseRecord;
  /** The cases only the archive holds after seeding. */
  let moved: CaseRecord[] = [];
  const shots = new StepShots(path.join('test-results', 'admin-archive'));
  const admins = {} as Record<'huoqiu' | 'wujiang', { staffId: string; cookie: { name: string; value: string } }>;
  const today = cst(Date.now());

  const records = async () => (await t.node.cases.store.getMany(ids)) as CaseRecord[];
  const problems = (step: string, allowed: RegExp[] = []) => guard.takeProblems(step).filter((p) => !allowed.some((re) => re.test(p)));

  async function enrolAdmin(regionCodes: string[], name: string) {
    const invite = await t.admin.call<{ url: string }>('POST', '/api/admin/invites', { role: 'admin', regionCodes });
    if (!invite.ok) throw new Error(`invite failed: ${JSON.stringify(invite.error)}`);
    const api = new ApiClient(t.origin, t.origin);
    const key = new SoftAuthenticator(t.origin);
    const enrolled = await api.enrol(key, tokenOf(invite.data.url), name);
    if (!enrolled.ok) throw new Error(`admin enrolment failed: ${JSON.stringify(enrolled.error)}`);
    const signedIn = await api.signIn(key);
    if (!signedIn.ok) throw new Error(`admin sign-in failed: ${JSON.stringify(signedIn.error)}`);
    return { staffId: enrolled.data.staffId, cookie: { name: 'rvw_sid', value: api.jar.get('rvw_sid')! } };
  }

  async function seedCases(clerkId: string): Promise<void> {
    const time = fakeClock();
    seeding = await startCaseWorld(t.redis.url, { clock: time.clock, dataDir: t.dataDir });
    const s = seeding.service;
    const clerk: Principal = { kind: 'staff', role: 'clerk', staffId: clerkId, name: '霍邱窗口 李娜', regionCode: HUOQIU, itemCodes: [ITEMS.pension, ITEMS.certificate] };
    let n = 0;
    for (let back = 8; back >= 1; back--) {
      time.set(`${daysBefore(today, back)}T09:00:00+08:00`);
      for (const [partnershipId, counter] of [[WH, WUJIANG_COUNTER], [KH, KUNSHAN_COUNTER], [WH, WUJIANG_COUNTER]] as const) {
        const c = await s.openCase(counter, { partnershipId, itemCode: n % 2 ? ITEMS.certificate : ITEMS.pension, applicant: APPLICANT });
        ids.push(c.id);
        time.advance(300);
        const fate = n++ % 4;
        if (fate === 1) await s.leaveQueue(counter, c.id);
        if (fate >= 2) await s.acceptCase(clerk, c.id);
        if (fate === 2) await s.transition(clerk, c.id, { to: 'rejected', reason: '不符合办理条件' });
        time.advance(600);
      }
    }

    // The whole file, two days ago in the afternoon.
    time.set(`${daysBefore(today, 2)}T14:00:00+08:00`);
    const opened = await s.openCase(WUJIANG_COUNTER, { partnershipId: WH, itemCode: ITEMS.pension, applicant: APPLICANT });
    ids.push(opened.id);
    time.advance(95);
    await s.acceptCase(clerk, opened.id);
    await s.addChat(clerk, opened.id, { text: CHAT });
    // A real picture (the archive opens it in a tab), as the 高拍仪 would send.
    const idCard = execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=640x400', '-frames:v', '1', '-c:v', 'mjpeg', '-f', 'image2', 'pipe:1']);
    await s.captureMaterial(WUJIANG_COUNTER, opened.id, { kind: 'document_camera', bytes: idCard, materialId: 'id_card' });
    await s.transition(clerk, opened.id, { to: 'pending_materials', reason: '缺少死亡证明' });
    await s.waiveMaterial(clerk, opened.id, { materialId: 'death_or_other_proof', note: '村委会证明后补', deadline: daysBefore(today, -10) });
    await s.transition(clerk, opened.id, { to: 'in_session' });
    for (const m of ['household_register', 'bank_card']) await s.captureMaterial(clerk, opened.id, { kind: 'document_camera', bytes: jpegBytes(m), materialId: m });
    // A real signed 受理回执, published, so that /verify opens it.
    const issueDeps = { cases: s, catalog: seeding.catalog, payments: new DemoPaymentHistory(), documents: t.node.documents, clock: time.clock, notifyIssued: () => undefined };
    await issueDocument(issueDeps, clerk, { caseId: opened.id, docType: 'receipt' });
    await s.confirmSignature(WUJIANG_COUNTER, opened.id, { png: pngBytes('陈添荣') });
    time.advance(600);
    await s.transition(clerk, opened.id, { to: 'completed' });
    await s.rate(WUJIANG_COUNTER, opened.id, { target: 'clerk', score: 2, comment: '等候时间太长' });
    const huoqiuAdmin: Principal = { kind: 'staff', role: 'admin', staffId: admins.huoqiu.staffId, name: '霍邱县管理员', regionCodes: [HUOQIU] };
    await s.followUpPoorRating(huoqiuAdmin, opened.id, { target: 'clerk', text: '已约谈受理人员，调整午间值守' });
    file = await t.node.cases.getCase(opened.id);
    khCase = (await records()).find((r) => r.partnershipId === KH && r.state === 'rejected')!;

    // Into the archive, then out of Redis: every case finished over a day ago but the file (a 容缺 material still owed).
    await archiveCaughtUp(seeding.redis);
    const finishedBefore = Date.now() - DAY_MS;
    const due = (await records()).filter((r) => ['completed', 'rejected', 'abandoned'].includes(r.state) && Date.parse(r.closedAt ?? r.updatedAt) < finishedBefore && r.id !== file.id);
    expect(await t.node.archive!.pruneNow()).toEqual({ moved: due.length, changed: 0 });
    expect(due.map((r) => r.id)).toContain(khCase.id);
    const dueIds = new Set(due.map((r) => r.id));
    for (const id of ids) expect(await seeding.redis.exists(CaseStore.keysOf(id).record), id).toBe(dueIds.has(id) ? 0 : 1);
    moved = due;
  }

  beforeAll(async () => {
    t = await startTestNode({ archive: true, env: { RVW_ARCHIVE_KEEP_FINISHED_DAYS: '1' } });
    const catalog = t.node.catalog;
    await catalog.insert('region', { code: KUNSHAN, name: '苏州市昆山市', province: '江苏省' });
    await catalog.insert('hall', { id: 'kunshan-zwfwzx', regionCode: KUNSHAN, name: '昆山市政务服务中心', address: '江苏省苏州市昆山市前进西路' });
    await catalog.insert('counter', { id: 'kunshan-kyth-01', hallId: 'kunshan-zwfwzx', name: '跨域通办窗口 1 号' });
    const wh = await catalog.require('partnership', WH);
    const kh: Partnership = { ...wh, id: KH, name: '昆山—霍邱跨域通办', regions: [KUNSHAN, HUOQIU], offers: [{ servingRegion: HUOQIU, applicantRegion: KUNSHAN, itemCodes: [ITEMS.pension, ITEMS.certificate] }] };
    await catalog.insert('partnership', kh);
    const clerk = await t.clerk(HUOQIU, [ITEMS.pension, ITEMS.certificate], '霍邱窗口 李娜');
    admins.huoqiu = await enrolAdmin([HUOQIU], '霍邱县管理员');
    admins.wujiang = await enrolAdmin([WUJIANG], '吴江区管理员');
    await seedCases(clerk.staffId);

    browser = await launchChromium();
    guard = await PageGuard.install(browser.context, 'admin');
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    await page.setViewportSize({ width: 1366, height: 768 });
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    console.log(guard.log.join('\n'));
    await shots.take(page, `failed-${ctx.task.name.slice(0, 30).replace(/\W+/g, '-')}`).catch(() => undefined);
  });

  afterAll(async () => {
    await browser?.close();
    await seeding?.close();
    await t?.dispose();
  });

  /** Signs the browser in as `cookie`'s administrator and opens the 办件档案 tab by clicking it. */
  async function openArchiveAs(cookie: { name: string; value: string }): Promise<void> {
    await browser.context.clearCookies();
    await t.addCookie(browser.context, cookie);
    await page.goto(`${t.origin}/admin.html`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    await page.click('#tabs button[data-tab="archive"]');
    await page.waitForSelector('#tab-archive:not(.hidden)');
    // The tab opens on the last 30 days.
    await waitForResults(new URLSearchParams({ from: daysBefore(today, 29), to: today }));
  }

  /** Waits until the results table shows the search with these parameters. */
  async function waitForResults(params: URLSearchParams): Promise<void> {
    await expect.poll(() => page.evaluate(() => document.getElementById('archive-results')?.dataset.shown ?? '')).toBe(params.toString());
    await expect.poll(() => page.isEnabled('#archive-submit')).toBe(true);
  }

  const shownIds = () => page.$$eval('#archive-body tr[data-case]', (rows) => rows.map((r) => (r as HTMLElement).dataset.case!));

  /** Types a case number, clicks 查找 and waits for its case page. */
  async function openByNumber(record: CaseRecord): Promise<void> {
    await page.fill('#archive-number', record.number!);
    await page.click('#archive-number-submit');
    await page.waitForSelector(`#archive-case:not(.hidden)[data-case-id="${record.id}"]`);
  }

  it('finds a case by its number and shows its file with a verified audit trail', async () => {
    await openArchiveAs(admins.huoqiu.cookie);
    await shots.take(page, 'tab-opened');
    await openByNumber(file);
    await shots.take(page, 'case-top');
    expect(await page.textContent('#archive-case-title')).toBe(`办件 ${file.number}`);
    const fact = (name: string) => page.textContent(`#archive-facts [data-fact="${name}"] dd`);
    expect(await fact('状态')).toBe('已办结');
    expect(await fact('受理人员')).toBe('霍邱窗口 李娜');
    expect(await fact('办理地区')).toBe('六安市霍邱县');
    // ID and phone numbers masked; the whole numbers nowhere on the page.
    expect(await fact('身份证号')).toMatch(/^3415\*+\d{3}[\dX]$/);
    expect(await fact('联系电话')).toMatch(/\*/);
    const text = await page.locator('#archive-case').innerText();
    for (const secret of [APPLICANT.idNumber, APPLICANT.phone, CHAT, '6222020200112233445']) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/undefined|NaN|null|\[object/);

    // The audit trail: one row per event of the chain, in order, and the verification says intact.
    const { events, verdict } = await t.node.cases.audit(file.id);
    expect(verdict).toEqual({ ok: true, count: file.version });
    expect(await page.locator('#archive-audit-body tr[data-seq]').count()).toBe(events.length);
    expect(await page.$$eval('#archive-audit-body tr[data-seq]', (rows) => rows.map((r) => Number((r as HTMLElement).dataset.seq)))).toEqual(events.map((e) => e.seq));
    expect(await page.textContent('#archive-verdict')).toBe(`审计链完整，共 ${events.length} 条记录`);
    expect(await page.textContent('#archive-audit-body tr[data-action="case.accepted"] td:nth-child(3)')).toContain('霍邱窗口 李娜');
    expect(await page.textContent('#archive-audit-body tr[data-action="chat.added"] td:nth-child(5)')).toBe('（内容仅办理双方可见）');
    expect(await page.locator('#archive-audit-body tr.audit-break').count()).toBe(0);

    // The chat and the materials are not on the page until asked for; the 差评 with its 整改.
    expect(await page.textContent('#archive-chat-open')).toBe('查看会话记录');
    expect(await page.locator('table.materials-list tbody tr').count()).toBe(file.materials.length);
    expect(await page.locator('#archive-case img').count()).toBe(0);
    expect(await page.textContent('table.ratings tbody')).toContain('已约谈受理人员，调整午间值守');

    // 霍邱 keeps the file: its administrator reads the conversation on request, and the reading is audited.
    await page.click('#archive-chat-open');
    await expect.poll(() => page.locator('#archive-chat table.chat-lines tbody tr').count()).toBe(file.chat.length);
    expect(await page.textContent('#archive-chat table.chat-lines')).toContain(CHAT);
    const read = await t.node.cases.audit(file.id);
    expect(read.events.at(-1)).toMatchObject({ action: 'chat.viewed', actor: { id: admins.huoqiu.staffId, role: 'admin' }, data: { lines: file.chat.length } });
    expect(read.verdict).toEqual({ ok: true, count: file.version + 1 });
    // The open page's trail shows the reading at once, verified, without reopening the case.
    await page.waitForSelector('#archive-audit-body tr[data-action="chat.viewed"]');
    expect(await page.textContent('#archive-audit-body tr[data-action="chat.viewed"] td:nth-child(3)')).toContain('霍邱县管理员');
    expect(await page.textContent('#archive-verdict')).toBe(`审计链完整，共 ${file.version + 1} 条记录`);
    await page.locator('#archive-chat').scrollIntoViewIfNeeded();
    await shots.take(page, 'chat-read');
    file = await t.node.cases.getCase(file.id);

    // The document: its verification page opens from the case page, on the archived copy.
    const doc = file.documents[0]!;
    const verifyLink = page.locator(`tr[data-document="${doc.number}"] a`);
    expect(await verifyLink.textContent()).toBe('打开并核验');
    const [verifyPage] = await Promise.all([browser.context.waitForEvent('page'), verifyLink.click()]);
    await verifyPage.waitForLoadState();
    expect(await verifyPage.textContent('body')).toContain(doc.number);
    expect(await verifyPage.locator('.verdict.valid').count()).toBe(1);
    await verifyPage.close();

    // The serving region's administrator keeps the evidence; this case has no recording.
    expect(await page.getAttribute('#archive-evidence', 'href')).toBe(`/api/cases/${file.id}/evidence`);
    expect(await page.locator('#archive-recording').count()).toBe(0);
    expect(await page.textContent('#archive-links-note')).toContain('本办件没有录像');

    // The serving region keeps the file: a material opens on the page, and the opening is audited.
    expect(await page.locator('table.materials-list tbody tr button').count()).toBe(file.materials.length);
    const view = page.locator('table.materials-list tbody tr').first().locator('button');
    expect(await view.textContent()).toBe('查看');
    await view.click();
    await expect.poll(() => page.evaluate(() => (document.getElementById('archive-material-img') as HTMLImageElement | null)?.naturalWidth ?? 0)).toBe(640);
    expect(await page.textContent('#archive-material-viewer figcaption')).toContain(file.materials[0]!.name);
    await shots.take(page, 'material-open');
    await page.click('#archive-material-close');
    expect(await page.isVisible('#archive-material-viewer')).toBe(false);
    const viewed = await t.node.cases.audit(file.id);
    expect(viewed.events.at(-1)).toMatchObject({ action: 'material.viewed', actor: { id: admins.huoqiu.staffId, role: 'admin' }, data: { index: 0 } });
    expect(viewed.verdict).toEqual({ ok: true, count: file.version + 1 });
    await page.waitForSelector('#archive-audit-body tr[data-action="material.viewed"]');
    expect(await page.textContent('#archive-verdict')).toBe(`审计链完整，共 ${file.version + 1} 条记录`);
    file = await t.node.cases.getCase(file.id);

    await page.locator('table.documents').scrollIntoViewIfNeeded();
    await shots.take(page, 'case-documents');
    await page.locator('#archive-audit').scrollIntoViewIfNeeded();
    await shots.take(page, 'case-audit');
    await page.setViewportSize({ width: 1366, height: 3600 });
    await shots.take(page, 'case-whole');
    await page.setViewportSize({ width: 1366, height: 768 });
    expect(problems('case file')).toEqual([]);
  });

  it('opens a case that only the archive (PostgreSQL) still holds, with its verified audit trail', async () => {
    const gone = moved.find((r) => r.id === khCase.id)!;
    expect(await seeding.redis.exists(CaseStore.keysOf(gone.id).record)).toBe(0);
    await page.click('#archive-back');
    await page.waitForSelector('#archive-search:not(.hidden)');
    await openByNumber(gone);
    expect(await page.textContent('#archive-case-title')).toBe(`办件 ${gone.number}`);
    expect(await page.textContent('#archive-facts [data-fact="状态"] dd')).toBe('不予受理');
    expect(await page.textContent('#archive-verdict')).toBe(`审计链完整，共 ${gone.version} 条记录`);
    expect(await page.$$eval('#archive-audit-body tr[data-seq]', (rows) => rows.map((r) => Number((r as HTMLElement).dataset.seq)))).toEqual(
      Array.from({ length: gone.version }, (_, i) => i + 1),
    );
    expect(await page.textContent('#archive-audit-body tr[data-action="case.rejected"] td:nth-child(3)')).toContain('霍邱窗口 李娜');
    await shots.take(page, 'archived-only-case');
    // Opening it changed nothing: it is still only in the archive.
    expect(await seeding.redis.exists(CaseStore.keysOf(gone.id).record)).toBe(0);
    // Back to the whole file (the next test opens it again from the results row).
    await page.click('#archive-back');
    await page.waitForSelector('#archive-search:not(.hidden)');
    await openByNumber(file);
    expect(problems('archived-only case')).toEqual([]);
  });

  it('reports where the audit chain breaks after one event was edited in Redis', async () => {
    const key = CaseStore.keysOf(file.id).events;
    const original = (await seeding.redis.xRange(key, '-', '+')) ?? [];
    const k = 5;
    try {
      // An insider rewrites the stream: the fifth event now names another actor, its hash kept.
      await seeding.redis.del(key);
      for (const [i, e] of original.entries()) {
        const message = { ...e.message };
        if (i === k - 1) {
          const event = JSON.parse(message.event!) as { actor: { id: string } };
          event.actor.id = 'someone-else';
          message.event = JSON.stringify(event);
        }
        await seeding.redis.xAdd(key, '*', message);
      }
      expect((await t.node.cases.audit(file.id)).verdict).toEqual({ ok: false, at: k, reason: 'HASH_MISMATCH' });

      // Back to the results, and the case opened again from its row.
      await page.click('#archive-back');
      await page.waitForSelector('#archive-search:not(.hidden)');
      await page.click(`#archive-body tr[data-case="${file.id}"]`);
      await expect.poll(() => page.getAttribute('#archive-verdict', 'data-ok')).toBe('false');
      expect(await page.textContent('#archive-verdict')).toBe(`审计链在第 ${k} 条记录处断开：该条记录的内容与其校验值不符，记录被修改过。请勿以此记录为准，并联系系统管理员核查。`);
      expect(await page.$$eval('#archive-audit-body tr.audit-break', (rows) => rows.map((r) => (r as HTMLElement).dataset.seq))).toEqual([String(k)]);
      expect(await page.locator('#archive-audit-body tr[data-seq]').count()).toBe(original.length);
      await page.locator('#archive-audit h2').evaluate((el) => el.scrollIntoView());
      await shots.take(page, 'audit-broken');
    } finally {
      await seeding.redis.del(key);
      for (const e of original) await seeding.redis.xAdd(key, e.id, e.message);
    }
    expect((await t.node.cases.audit(file.id)).verdict.ok).toBe(true);
    expect(problems('tampered')).toEqual([]);
  });

  it('searches by state and date, and pages with 加载更多 through every case exactly once', async () => {
    await page.click('#archive-back');
    await page.waitForSelector('#archive-search:not(.hidden)');
    const all = await records();
    const [from, to] = [daysBefore(today, 6), daysBefore(today, 3)];
    await page.fill('#archive-from', from);
    await page.fill('#archive-to', to);
    await page.selectOption('#archive-state', 'rejected');
    await page.click('#archive-submit');
    await waitForResults(new URLSearchParams({ from, to, state: 'rejected' }));
    const want = newestFirst(all.filter((r) => r.state === 'rejected' && cst(r.createdAt) >= from && cst(r.createdAt) <= to));
    expect(want.length).toBeGreaterThanOrEqual(2);
    expect(await shownIds()).toEqual(want);
    const first = all.find((r) => r.id === want[0])!;
    const cells = await page.locator(`#archive-body tr[data-case="${first.id}"] td`).allTextContents();
    expect(cells.slice(0, 5)).toEqual([first.number, first.itemName, '陈**', '不予受理', '霍邱窗口 李娜']);
    await shots.take(page, 'search-rejected');

    // Every case of the last 30 days: 20 first, the rest after 加载更多, none twice.
    await page.fill('#archive-from', daysBefore(today, 29));
    await page.fill('#archive-to', today);
    await page.selectOption('#archive-state', '');
    await page.click('#archive-submit');
    await waitForResults(new URLSearchParams({ from: daysBefore(today, 29), to: today }));
    expect(await page.locator('#archive-body tr[data-case]').count()).toBe(20);
    expect(await page.isVisible('#archive-more')).toBe(true);
    await page.click('#archive-more');
    await expect.poll(() => page.isVisible('#archive-more')).toBe(false);
    expect(await shownIds()).toEqual(newestFirst(all));
    expect(await page.textContent('#archive-summary')).toContain(`共 ${all.length} 件`);
    await shots.take(page, 'all-loaded');
    expect(problems('search')).toEqual([]);
  });

  it('lets a regional administrator find nothing of another region’s partnership', async () => {
    await openArchiveAs(admins.wujiang.cookie);
    const all = await records();
    expect(await page.$$eval('#archive-partnership option', (os) => os.map((o) => o.textContent))).toEqual(['全部合作关系', '吴江—霍邱跨域通办']);
    expect(await shownIds()).toEqual(newestFirst(all.filter((r) => r.partnershipId === WH)));

    // A 昆山 case's number finds nothing for 吴江.
    await page.fill('#archive-number', khCase.number!);
    await page.click('#archive-number-submit');
    await expect.poll(() => page.textContent('#archive-number-form .form-error')).toBe(`没有找到办件编号为 ${khCase.number} 的办件（或不属于您管理的地区）`);
    expect(await page.isVisible('#archive-case')).toBe(false);
    await shots.take(page, 'wujiang-not-found');
    // Nor does its id, asked for directly.
    const answer = await page.evaluate(async (id) => {
      const res = await fetch(`/api/admin/cases/${id}`);
      return { status: res.status, body: (await res.json()) as { error?: { message?: string } } };
    }, khCase.id);
    expect(answer).toMatchObject({ status: 403, body: { error: { message: '此办件不属于您管理的地区，无权查看' } } });

    // Its own partnership's case opens, without the evidence, which 霍邱 keeps.
    await openByNumber(file);
    expect(await page.textContent('#archive-verdict')).toBe(`审计链完整，共 ${file.version} 条记录`);
    expect(await page.locator('#archive-evidence').count()).toBe(0);
    // Nor the materials' contents (listed, with no 查看), nor the conversation.
    expect(await page.textContent('#archive-chat')).toBe('会话内容仅办理双方和办理地区的管理员可见');
    expect(await page.locator('table.materials-list tbody tr').count()).toBe(file.materials.length);
    expect(await page.locator('table.materials-list button').count()).toBe(0);
    // The earlier opening by 霍邱's administrator is in the trail this administrator reads too.
    expect(await page.textContent('#archive-audit-body tr[data-action="material.viewed"] td:nth-child(3)')).toContain('霍邱县管理员');
    expect(await page.textContent('#archive-links-note')).toBe('录像回放和证据包导出仅限办理地区（六安市霍邱县）的管理员和受理人员。');
    await page.locator('#archive-links-note').scrollIntoViewIfNeeded();
    await shots.take(page, 'wujiang-case');
    expect(problems('wujiang', [/status of 403 \(Forbidden\) \(http:\/\/[^)]+\/api\/admin\/cases\/[^)]+\)$/])).toEqual([]);
  });
});
