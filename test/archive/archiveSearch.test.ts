import { beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveSearchInput, ArchiveSearchPage } from '@rvw/protocol/archive';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import type { Partnership } from '@rvw/protocol/catalog';
import { archiveNames } from '@rvw/signaling/archive/archiveNames';
import { openArchiveChat } from '@rvw/signaling/archive/openArchiveChat';
import { openArchiveMaterial } from '@rvw/signaling/archive/openArchiveMaterial';
import { readArchiveCase, type ArchiveCaseDeps } from '@rvw/signaling/archive/readArchiveCase';
import { searchCases, type ArchiveSearchDeps } from '@rvw/signaling/archive/searchCases';
import type { Principal } from '@rvw/signaling/auth/Principal';
import type { StaffRecord } from '@rvw/signaling/auth/StaffStore';
import { pruneLiveCases } from '@rvw/signaling/archive/pruneLiveCases';
import { verifyAuditChain } from '@rvw/signaling/audit/verifyAuditChain';
import { CaseStore } from '@rvw/signaling/cases/CaseStore';
import { rebuildFigures } from '@rvw/signaling/stats/rebuildFigures';
import { StatsReader } from '@rvw/signaling/stats/StatsReader';
import { APPLICANT, expectCode, fakeClock, huoqiuClerk, ITEMS, jpegBytes, pngBytes, useCaseWorld, WUJIANG_COUNTER } from '../cases/fixtures';

/*
 * 办件档案 search and case page on a real Redis and a real PostgreSQL case archive, fed from the
 * outbox by a real feeder. Cases are made through the case use cases over six Beijing days in two
 * partnerships (吴江—霍邱, 昆山—霍邱). What each search answers is compared with what the records
 * themselves say, computed here; paging with small pages must give every matching case exactly
 * once, in order.
 */

const HUOQIU = '341522';
const WUJIANG = '320509';
const KUNSHAN = '320583';
const CHAOYANG = '110105';
const WH = 'wujiang-huoqiu';
const KH = 'kunshan-huoqiu';
const KUNSHAN_COUNTER: Principal = { kind: 'counter', counterId: 'kunshan-kyth-01', hallId: 'kunshan-zwfwzx', regionCode: KUNSHAN, name: '跨域通办窗口 1 号' };

const admin = (staffId: string, regionCodes: string[]): Principal => ({ kind: 'staff', role: 'admin', staffId, name: staffId, regionCodes });
const ADMINS = {
  huoqiu: admin('adm-hq', [HUOQIU]),
  wujiang: admin('adm-wj', [WUJIANG]),
  kunshan: admin('adm-ks', [KUNSHAN]),
  chaoyang: admin('adm-cy', [CHAOYANG]),
  province: admin('adm-all', ['*']),
};
const [li, wang] = [huoqiuClerk('clerk-arc-li'), huoqiuClerk('clerk-arc-wang')];
const STAFF_NAMES: Record<string, string> = { 'clerk-arc-li': '霍邱窗口 李娜', 'clerk-arc-wang': '霍邱窗口 王强', 'adm-hq': '霍邱县管理员' };

const time = fakeClock('2026-03-02T01:00:00.000Z');
const env = useCaseWorld({ clock: time.clock, archive: true });
const cst = (iso: string) => new Date(Date.parse(iso) + 8 * 3_600_000).toISOString().slice(0, 10);
const DAYS = ['2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06', '2026-03-07'];

let search: (who: Principal, q: ArchiveSearchInput) => Promise<ArchiveSearchPage>;
let caseDeps: ArchiveCaseDeps;
const ids: string[] = [];
const records = async () => (await env.world.service.store.getMany(ids)) as CaseRecord[];
/** Newest first, ties by id descending: the archive's order. */
const newestFirst = (rs: CaseRecord[]) => [...rs].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).map((r) => r.id);

/** Every page of a search, following nextCursor to the end. */
async function allPages(who: Principal, q: ArchiveSearchInput): Promise<{ ids: string[]; pages: ArchiveSearchPage[] }> {
  const pages: ArchiveSearchPage[] = [];
  let cursor: string | undefined;
  do {
    const page = await search(who, { ...q, ...(cursor ? { cursor } : {}) });
    pages.push(page);
    cursor = page.nextCursor ?? undefined;
    expect(pages.length, 'pages end').toBeLessThan(200);
  } while (cursor);
  return { ids: pages.flatMap((p) => p.cases.map((c) => c.id)), pages };
}

beforeAll(async () => {
  const w = env.world;
  await w.catalog.insert('region', { code: KUNSHAN, name: '苏州市昆山市', province: '江苏省' });
  await w.catalog.insert('region', { code: CHAOYANG, name: '北京市朝阳区', province: '北京市' });
  await w.catalog.insert('hall', { id: 'kunshan-zwfwzx', regionCode: KUNSHAN, name: '昆山市政务服务中心', address: '江苏省苏州市昆山市前进西路' });
  await w.catalog.insert('counter', { id: 'kunshan-kyth-01', hallId: 'kunshan-zwfwzx', name: '跨域通办窗口 1 号' });
  const wh = await w.catalog.require('partnership', WH);
  const kh: Partnership = { ...wh, id: KH, name: '昆山—霍邱跨域通办', regions: [KUNSHAN, HUOQIU], offers: [{ servingRegion: HUOQIU, applicantRegion: KUNSHAN, itemCodes: [ITEMS.pension, ITEMS.certificate] }] };
  await w.catalog.insert('partnership', kh);

  const staff = { getStaff: async (id: string) => (STAFF_NAMES[id] ? ({ id, name: STAFF_NAMES[id] } as StaffRecord) : undefined) };
  const names = archiveNames(w.catalog, staff);
  const deps: ArchiveSearchDeps = { archive: env.archive.archive, partnerships: () => w.catalog.list('partnership'), names };
  search = (who, q) => searchCases(deps, who, q);
  caseDeps = { history: (id) => w.service.history(id), names, documentHandle: async () => undefined };

  // Six days; each day three 吴江 cases and one 昆山 case, their fates cycling.
  const s = w.service;
  let n = 0;
  for (const day of DAYS) {
    time.set(`${day}T09:00:00+08:00`);
    for (const [pid, counter] of [[WH, WUJIANG_COUNTER], [WH, WUJIANG_COUNTER], [KH, KUNSHAN_COUNTER], [WH, WUJIANG_COUNTER]] as const) {
      const itemCode = n % 3 === 0 ? ITEMS.certificate : ITEMS.pension;
      const c = await s.openCase(counter, { partnershipId: pid, itemCode, applicant: APPLICANT });
      ids.push(c.id);
      time.advance(120);
      const clerk = n % 2 === 0 ? li : wang;
      switch (n % 4) {
        case 0:
          break; // still queued
        case 1:
          await s.leaveQueue(counter, c.id);
          break;
        case 2:
          await s.acceptCase(clerk, c.id);
          await s.transition(clerk, c.id, { to: 'rejected', reason: '不符合办理条件' });
          break;
        default:
          await s.acceptCase(clerk, c.id);
      }
      time.advance(300);
      n++;
    }
  }
  // Three cases opened in the same millisecond: the cursor must still tell them apart.
  time.set(`${DAYS[3]}T15:00:00+08:00`);
  for (let i = 0; i < 3; i++) ids.push((await s.openCase(WUJIANG_COUNTER, { partnershipId: WH, itemCode: ITEMS.pension, applicant: APPLICANT })).id);
  await env.archive.caughtUp(w.redis);
});

describe('办件档案: search', () => {
  it('copies every case, at its latest version, with every audit entry exactly as hashed, into the archive; the outbox is left empty', async () => {
    const all = await records();
    expect(all).toHaveLength(ids.length);
    for (const r of all) {
      const archived = await env.archive.archive.history(r.id);
      const live = await env.world.service.store.snapshot(r.id);
      expect(archived?.record, r.id).toEqual(r);
      expect(archived?.entries, r.id).toEqual(live?.entries);
      expect(archived?.entries.map((e) => e.seq)).toEqual(Array.from({ length: r.version }, (_, i) => i + 1));
    }
    expect(await env.world.redis.xLen('archive:outbox')).toBe(0);
    expect(await env.archive.archive.counts()).toEqual({ cases: ids.length, archivedOnly: 0 });
    // No search index in Redis any more: the archive is PostgreSQL's.
    expect(await env.world.redis.keys('archive:cases:*')).toEqual([]);
  });

  it('finds exactly the case of a number, its applicant masked, and nothing of a partnership the administrator is not in', async () => {
    const all = await records();
    const target = all.find((r) => r.partnershipId === KH)!;
    const page = await search(ADMINS.huoqiu, { number: target.number! });
    expect(page.cases.map((c) => c.id)).toEqual([target.id]);
    expect(page.nextCursor).toBeNull();
    expect(page.cases[0]).toMatchObject({ number: target.number, itemName: target.itemName, state: target.state, applicantName: '陈**', hallName: '昆山市政务服务中心' });
    const wire = JSON.stringify(page);
    for (const secret of [APPLICANT.name, APPLICANT.idNumber, APPLICANT.phone]) expect(wire).not.toContain(secret);
    // Another region's administrator: the number of a 昆山 case finds nothing (not even a refusal that would say it exists).
    expect((await search(ADMINS.wujiang, { number: target.number! })).cases).toEqual([]);
    expect((await search(ADMINS.kunshan, { number: target.number! })).cases).toHaveLength(1);
    // A number nobody has, and one that differs only by a longer sequence.
    expect((await search(ADMINS.province, { number: `${HUOQIU}-20260302-9999` })).cases).toEqual([]);
    expect((await search(ADMINS.province, { number: `${target.number}0` })).cases).toEqual([]);
    await expectCode(search(ADMINS.province, { number: '341522-2026' }), 'VALIDATION_FAILED');
  });

  it('answers a date range (Beijing days) newest first, and each filter exactly', async () => {
    const all = await records();
    const visible = all.filter((r) => r.partnershipId === WH || r.partnershipId === KH);
    const inDays = (from: string, to: string) => visible.filter((r) => cst(r.createdAt) >= from && cst(r.createdAt) <= to);
    const ranged = await search(ADMINS.huoqiu, { from: DAYS[1]!, to: DAYS[3]!, limit: 100 });
    expect(ranged.cases.map((c) => c.id)).toEqual(newestFirst(inDays(DAYS[1]!, DAYS[3]!)));
    expect(ranged.nextCursor).toBeNull();

    const cases: [ArchiveSearchInput, (r: CaseRecord) => boolean][] = [
      [{ state: 'rejected' }, (r) => r.state === 'rejected'],
      [{ state: 'queued', from: DAYS[0]!, to: DAYS[2]! }, (r) => r.state === 'queued' && cst(r.createdAt) <= DAYS[2]!],
      [{ itemCode: ITEMS.certificate }, (r) => r.itemCode === ITEMS.certificate],
      [{ clerkId: li.staffId }, (r) => r.clerkId === li.staffId],
      [{ hallId: 'kunshan-zwfwzx' }, (r) => r.hallId === 'kunshan-zwfwzx'],
      [{ partnershipId: KH, itemCode: ITEMS.pension }, (r) => r.partnershipId === KH && r.itemCode === ITEMS.pension],
    ];
    for (const [q, keep] of cases) {
      const want = newestFirst(visible.filter(keep));
      expect(want.length, JSON.stringify(q)).toBeGreaterThan(0);
      expect((await search(ADMINS.huoqiu, { ...q, limit: 100 })).cases.map((c) => c.id), JSON.stringify(q)).toEqual(want);
    }
    const named = (await search(ADMINS.huoqiu, { clerkId: wang.staffId, limit: 1 })).cases[0]!;
    expect(named).toMatchObject({ clerkId: wang.staffId, clerkName: '霍邱窗口 王强', applicantName: '陈**' });
  });

  it('pages with the cursor, full pages, giving every matching case exactly once', async () => {
    const all = await records();
    const visible = all.filter((r) => r.partnershipId === WH || r.partnershipId === KH);
    // Everything, three lines a page (ties included): every page but the last is full, the last ends.
    const everything = await allPages(ADMINS.huoqiu, { limit: 3 });
    expect(everything.ids).toEqual(newestFirst(visible));
    expect(everything.pages.length).toBe(Math.ceil(visible.length / 3));
    for (const p of everything.pages.slice(0, -1)) expect(p.cases).toHaveLength(3);
    expect(everything.pages.at(-1)!.nextCursor).toBeNull();
    // A rare filter: complete and in order, pages filled by the database, not by scanning.
    const rejected = await allPages(ADMINS.huoqiu, { state: 'rejected', limit: 2 });
    const wantRejected = newestFirst(visible.filter((r) => r.state === 'rejected'));
    expect(rejected.ids).toEqual(wantRejected);
    expect(rejected.pages.length).toBe(Math.ceil(wantRejected.length / 2));
    // One line a page through the three cases of the same millisecond.
    const sameMs = await allPages(ADMINS.wujiang, { from: DAYS[3]!, to: DAYS[3]!, limit: 1 });
    expect(sameMs.ids).toEqual(newestFirst(all.filter((r) => r.partnershipId === WH && cst(r.createdAt) === DAYS[3])));
    expect(new Set(sameMs.ids).size).toBe(sameMs.ids.length);
    // A date range and the cursor together.
    const ranged = await allPages(ADMINS.province, { from: DAYS[2]!, to: DAYS[4]!, limit: 2 });
    expect(ranged.ids).toEqual(newestFirst(all.filter((r) => cst(r.createdAt) >= DAYS[2]! && cst(r.createdAt) <= DAYS[4]!)));
  });

  it('shows an administrator only the partnerships of its regions; everyone else is refused', async () => {
    const all = await records();
    const wujiang = await allPages(ADMINS.wujiang, { limit: 100 });
    expect(wujiang.ids).toEqual(newestFirst(all.filter((r) => r.partnershipId === WH)));
    const kunshan = await search(ADMINS.kunshan, { limit: 100 });
    expect(kunshan.cases.map((c) => c.id)).toEqual(newestFirst(all.filter((r) => r.partnershipId === KH)));
    expect(await search(ADMINS.chaoyang, { limit: 100 })).toEqual({ cases: [], nextCursor: null });
    const refused = await expectCode(search(ADMINS.wujiang, { partnershipId: KH }), 'FORBIDDEN');
    expect(refused.message).toBe('只能查询本地区参与的合作关系的办件');
    await expectCode(search(ADMINS.province, { partnershipId: 'no-such' }), 'CATALOG_PARTNERSHIP_NOT_FOUND');
    await expectCode(search(li, {}), 'FORBIDDEN');
    await expectCode(search(WUJIANG_COUNTER, {}), 'FORBIDDEN');
    await expectCode(search({ kind: 'anonymous' }, {}), 'UNAUTHENTICATED');
  });

  it('refuses a range longer than 367 days, a range with one end, and a forged cursor', async () => {
    await expectCode(search(ADMINS.province, { from: '2025-01-01', to: '2026-01-03' }), 'VALIDATION_FAILED');
    expect((await search(ADMINS.province, { from: '2025-01-01', to: '2026-01-02' })).cases).toEqual([]);
    await expectCode(search(ADMINS.province, { from: '2026-03-02' }), 'VALIDATION_FAILED');
    await expectCode(search(ADMINS.province, { cursor: 'abc' }), 'VALIDATION_FAILED');
    await expectCode(search(ADMINS.province, { limit: 1000 }), 'VALIDATION_FAILED');
  });
});

describe('办件档案: the case page', () => {
  let caseId: string;
  const chatText = '请把银行卡放在高拍仪下，卡号是 6222020200112233445';

  beforeAll(async () => {
    const s = env.world.service;
    time.set(`${DAYS[5]}T14:00:00+08:00`);
    const c = await s.openCase(WUJIANG_COUNTER, { partnershipId: WH, itemCode: ITEMS.pension, applicant: APPLICANT });
    caseId = c.id;
    await s.acceptCase(li, caseId);
    await s.addChat(li, caseId, { text: chatText });
    await s.captureMaterial(WUJIANG_COUNTER, caseId, { kind: 'document_camera', bytes: jpegBytes('id'), materialId: 'id_card' });
    await s.transition(li, caseId, { to: 'pending_materials', reason: '缺少死亡证明' });
    await s.waiveMaterial(li, caseId, { materialId: 'death_or_other_proof', note: '村委会证明后补', deadline: '2026-03-20' });
    await s.transition(li, caseId, { to: 'in_session' });
    for (const m of ['household_register', 'bank_card']) await s.captureMaterial(li, caseId, { kind: 'document_camera', bytes: jpegBytes(m), materialId: m });
    await s.confirmSignature(WUJIANG_COUNTER, caseId, { png: pngBytes('陈添荣') });
    await s.transition(li, caseId, { to: 'completed' });
    await s.rate(WUJIANG_COUNTER, caseId, { target: 'clerk', score: 2, comment: '等太久' });
    await s.followUpPoorRating(ADMINS.huoqiu, caseId, { target: 'clerk', text: '已约谈受理人员' });
  });

  it('shows the serving region’s administrator the case, masked, with its verified audit chain and the evidence link; no chat, no material bytes', async () => {
    const detail = await readArchiveCase(caseDeps, ADMINS.huoqiu, caseId);
    const record = await env.world.service.getCase(caseId);
    expect(detail.case).toMatchObject({ number: record.number, state: 'completed', clerkName: '霍邱窗口 李娜', servingRegionName: '六安市霍邱县', hallName: '吴江区行政服务中心 跨域通办窗口' });
    expect(detail.case.applicant.idNumber).not.toBe(APPLICANT.idNumber);
    expect(detail.case.applicant.idNumber).toMatch(/\*/);
    expect(detail.case.applicant.phone).toMatch(/\*/);
    expect(detail.audit.verdict).toEqual({ ok: true, count: record.version });
    expect(detail.audit.rows.map((r) => r.seq)).toEqual(Array.from({ length: record.version }, (_, i) => i + 1));
    expect(detail.audit.rows[0]).toMatchObject({ label: '窗口发起办件', actorRole: '申请地窗口' });
    expect(detail.audit.rows.find((r) => r.action === 'case.accepted')).toMatchObject({ label: '受理', actor: '霍邱窗口 李娜' });
    expect(detail.audit.rows.find((r) => r.action === 'chat.added')!.detail).toBe('（内容仅办理双方可见）');
    expect(detail.audit.rows.find((r) => r.action === 'material.waived')!.detail).toContain('2026-03-20');
    // The chat is not in the page: read on request, audited (below).
    expect(detail.chat).toBeNull();
    expect(detail.chatUrl).toBe(`/api/admin/cases/${caseId}/chat`);
    // The serving region's administrator keeps the file: each material opens (audited, below).
    expect(detail.materialsViewable).toBe(true);
    expect(detail.materials.map((m) => m.viewUrl)).toEqual(detail.materials.map((_, i) => `/api/admin/cases/${caseId}/materials/${i}`));
    // Three snapshots and the signature, listed with who captured them; the bytes stay with the two parties.
    expect(detail.materials.map((m) => [m.kind, m.capturedBy])).toEqual([
      ['document_camera', '吴江区行政服务中心 跨域通办窗口 跨域通办窗口 1 号'],
      ['document_camera', '霍邱窗口 李娜'],
      ['document_camera', '霍邱窗口 李娜'],
      ['signature', '吴江区行政服务中心 跨域通办窗口 跨域通办窗口 1 号'],
    ]);
    expect(detail.checklist.find((l) => l.materialId === 'death_or_other_proof')).toMatchObject({ status: 'waived', waiver: { deadline: '2026-03-20' } });
    expect(detail.signed).toBe(true);
    expect(detail.ratings).toEqual([expect.objectContaining({ target: 'clerk', score: 2, comment: '等太久', followUp: expect.objectContaining({ text: '已约谈受理人员', by: '霍邱县管理员' }) })]);
    expect(detail.links).toEqual({ recording: null, evidence: `/api/cases/${caseId}/evidence` });
    const wire = JSON.stringify(detail);
    for (const secret of [chatText, '6222020200112233445', APPLICANT.idNumber, APPLICANT.phone]) expect(wire).not.toContain(secret);
    expect(wire).not.toMatch(/[0-9a-f]{64}/);
  });

  it('gives the applicant region’s administrator the same case without playback or evidence; another region’s is refused', async () => {
    const detail = await readArchiveCase(caseDeps, ADMINS.wujiang, caseId);
    expect(detail.links).toEqual({ recording: null, evidence: null });
    expect(detail.materialsViewable).toBe(false);
    expect(detail.materials.every((m) => m.viewUrl === null)).toBe(true);
    expect(detail.chatUrl).toBeNull();
    expect(detail.audit.verdict.ok).toBe(true);
    expect((await expectCode(readArchiveCase(caseDeps, ADMINS.kunshan, caseId), 'FORBIDDEN')).message).toBe('此办件不属于您管理的地区，无权查看');
    await expectCode(readArchiveCase(caseDeps, li, caseId), 'FORBIDDEN');
    await expectCode(readArchiveCase(caseDeps, ADMINS.province, 'no-such-case'), 'CASE_NOT_FOUND');
    // A recorded case: the playback link for its custodians only.
    await env.world.service.recordRecordingEvent(caseId, 'node-test', 'recording.started', {});
    expect((await readArchiveCase(caseDeps, ADMINS.huoqiu, caseId)).links.recording).toBe(`/recording.html?case=${caseId}`);
    expect((await readArchiveCase(caseDeps, ADMINS.wujiang, caseId)).links.recording).toBeNull();
  });

  it('opens a material for the serving region’s administrator only, the opening in the audit chain before the bytes', async () => {
    const deps = {
      recordMaterialView: (p: Principal, id: string, i: number) => env.world.service.recordMaterialView(p, id, i),
      readBlob: (sha256: string) => env.world.blobs.get(sha256),
    };
    const before = await env.world.service.getCase(caseId);
    const opened = await openArchiveMaterial(deps, ADMINS.huoqiu, { caseId, index: '0' });
    expect(Buffer.from(opened.bytes).equals(Buffer.from(jpegBytes('id')))).toBe(true);
    expect(opened.material).toMatchObject({ name: before.materials[0]!.name, mime: 'image/jpeg' });
    const after = await env.world.service.history(caseId);
    expect(after.record.version).toBe(before.version + 1);
    expect(after.events.at(-1)).toMatchObject({ action: 'material.viewed', actor: { id: 'adm-hq', role: 'admin' }, data: { index: 0, name: before.materials[0]!.name } });
    const rows = (await readArchiveCase(caseDeps, ADMINS.huoqiu, caseId)).audit.rows;
    expect(rows.at(-1)).toMatchObject({ action: 'material.viewed', label: '在办件档案中查看材料', actor: '霍邱县管理员' });
    // The applicant region's administrator, a clerk, a counter: refused, and nothing recorded.
    const refused = await expectCode(openArchiveMaterial(deps, ADMINS.wujiang, { caseId, index: 0 }), 'FORBIDDEN');
    expect(refused.message).toBe('材料内容仅限办理地区的管理员在办件档案中查看');
    await expectCode(openArchiveMaterial(deps, li, { caseId, index: 0 }), 'FORBIDDEN');
    await expectCode(openArchiveMaterial(deps, WUJIANG_COUNTER, { caseId, index: 0 }), 'FORBIDDEN');
    await expectCode(openArchiveMaterial(deps, ADMINS.huoqiu, { caseId, index: 99 }), 'MATERIAL_NOT_FOUND');
    await expectCode(openArchiveMaterial(deps, ADMINS.huoqiu, { caseId, index: -1 }), 'VALIDATION_FAILED');
    expect((await env.world.service.getCase(caseId)).version).toBe(before.version + 1);
  });

  it('gives the serving region’s administrator the conversation on request, the reading in the audit chain first', async () => {
    const deps = { recordChatView: (p: Principal, id: string) => env.world.service.recordChatView(p, id) };
    const before = await env.world.service.getCase(caseId);
    const chat = await openArchiveChat(deps, ADMINS.huoqiu, caseId);
    expect(chat.lines.map((l) => l.text)).toEqual(before.chat.map((l) => l.text));
    expect(chat.lines.map((l) => l.text)).toContain(chatText);
    const { events } = await env.world.service.history(caseId);
    expect(events.at(-1)).toMatchObject({ action: 'chat.viewed', actor: { id: 'adm-hq', role: 'admin' }, data: { lines: before.chat.length } });
    const rows = (await readArchiveCase(caseDeps, ADMINS.huoqiu, caseId)).audit.rows;
    expect(rows.at(-1)).toMatchObject({ action: 'chat.viewed', label: '在办件档案中查看会话记录', actor: '霍邱县管理员', detail: `共 ${before.chat.length} 条消息` });
    const refused = await expectCode(openArchiveChat(deps, ADMINS.wujiang, caseId), 'FORBIDDEN');
    expect(refused.message).toBe('会话记录仅限办理地区的管理员在办件档案中查看');
    await expectCode(openArchiveChat(deps, li, caseId), 'FORBIDDEN');
    await expectCode(openArchiveChat(deps, ADMINS.huoqiu, 'no-such-case'), 'CASE_NOT_FOUND');
    expect((await env.world.service.getCase(caseId)).version).toBe(before.version + 1);
  });

  it('reports where the audit chain breaks when an event was edited in Redis', async () => {
    const key = CaseStore.keysOf(caseId).events;
    const entries = (await env.world.redis.xRange(key, '-', '+')) ?? [];
    const k = 4;
    const edited = entries.map((e, i) => {
      if (i !== k - 1) return e.message;
      const event = JSON.parse(e.message.event!) as { actor: { id: string } };
      event.actor.id = 'someone-else';
      return { ...e.message, event: JSON.stringify(event) };
    });
    await env.world.redis.del(key);
    for (const m of edited) await env.world.redis.xAdd(key, '*', m);
    const detail = await readArchiveCase(caseDeps, ADMINS.huoqiu, caseId);
    expect(detail.audit.verdict).toEqual({ ok: false, at: k, reason: 'HASH_MISMATCH' });
    expect(detail.audit.rows).toHaveLength(entries.length);
  });
});

describe('办件档案: finished cases leave Redis for the archive', () => {
  const KEEP_MS = 2 * 86_400_000;
  const FINISHED = new Set(['completed', 'rejected', 'abandoned']);
  const redis = () => env.world.redis;
  const store = () => env.world.service.store;
  const isLive = async (id: string) => (await redis().exists(CaseStore.keysOf(id).record)) === 1;
  const prune = () =>
    pruneLiveCases({
      leaving: (before, limit) => env.archive.archive.leaving(before, limit),
      evict: (id, version) => store().evict(id, version),
      markGone: (id, version) => env.archive.archive.markGone(id, version),
      clock: time.clock,
      keepFinishedMs: KEEP_MS,
      batch: 4,
    });
  const statsKeys = async () => {
    const out: Record<string, unknown> = {};
    for (const pattern of ['stats:day:*', 'stats:poor:*', 'stats:ratings:*', 'stats:waivers:*', 'clerk:cases:*']) {
      for (const key of (await redis().keys(pattern)).sort()) out[key] = (await redis().type(key)) === 'hash' ? await redis().hGetAll(key) : await redis().zRangeWithScores(key, 0, -1);
    }
    return out;
  };
  let moved: CaseRecord[] = [];

  it('moves exactly the finished cases closed before the keep window with nothing open on them; they read and search as before', async () => {
    time.set(`${DAYS[5]}T23:00:00+08:00`);
    await env.archive.caughtUp(redis());
    const every = [...ids];
    const before = (await store().getMany(every)) as CaseRecord[];
    const searchedBefore = (await allPages(ADMINS.province, { limit: 7 })).ids;
    const cutoff = time.clock().getTime() - KEEP_MS;
    const open = (r: CaseRecord) => r.checklist.some((l) => l.status === 'waived') || Object.values(r.ratings).some((x) => x && x.score <= 2 && !x.followUp);
    moved = before.filter((r) => FINISHED.has(r.state) && Date.parse(r.closedAt ?? r.updatedAt) < cutoff && !(r.state === 'completed' && open(r)));
    expect(moved.length).toBeGreaterThan(3);
    expect(moved.length).toBeLessThan(before.filter((r) => FINISHED.has(r.state)).length);

    expect(await prune()).toEqual({ moved: moved.length, changed: 0 });
    for (const r of before) expect(await isLive(r.id), `${r.id} ${r.state}`).toBe(!moved.includes(r));
    // Every case of this file so far: those in `ids` and the case page's.
    expect(await env.archive.archive.counts()).toEqual({ cases: ids.length + 1, archivedOnly: moved.length });
    // Read through the same store as before, now from PostgreSQL: the same record, a verified chain.
    expect(await store().getMany(every)).toEqual(before);
    for (const r of moved) {
      const { record, events } = await env.world.service.history(r.id);
      expect(record).toEqual(r);
      expect(verifyAuditChain(events, { caseId: r.id, version: r.version, lastEventHash: r.lastEventHash })).toEqual({ ok: true, count: r.version });
    }
    expect((await allPages(ADMINS.province, { limit: 7 })).ids).toEqual(searchedBefore);
    const one = moved[0]!;
    expect((await search(ADMINS.huoqiu, { number: one.number! })).cases.map((c) => c.id)).toEqual([one.id]);
    // The case page of a case only the archive holds.
    const detail = await readArchiveCase(caseDeps, ADMINS.huoqiu, one.id);
    expect(detail.audit.verdict).toEqual({ ok: true, count: one.version });
    // A second run finds nothing more to move.
    expect(await prune()).toEqual({ moved: 0, changed: 0 });
  });

  it('brings a moved case back into Redis when it changes, archives the new version, and moves it again', async () => {
    const r = moved[0]!;
    await env.world.service.recordRecordingEvent(r.id, 'node-test', 'recording.started', {});
    expect(await isLive(r.id)).toBe(true);
    const changed = await env.world.service.getCase(r.id);
    expect(changed.version).toBe(r.version + 1);
    const { events } = await env.world.service.history(r.id);
    expect(verifyAuditChain(events, { caseId: r.id, version: changed.version, lastEventHash: changed.lastEventHash })).toEqual({ ok: true, count: changed.version });
    await env.archive.caughtUp(redis());
    expect((await env.archive.archive.record(r.id))?.version).toBe(changed.version);
    expect((await env.archive.archive.counts()).archivedOnly).toBe(moved.length - 1);
    // Still finished long ago: it leaves again, at its new version, with all its entries.
    expect(await prune()).toEqual({ moved: 1, changed: 0 });
    expect(await isLive(r.id)).toBe(false);
    expect((await env.archive.archive.history(r.id))?.entries.map((e) => e.seq)).toEqual(Array.from({ length: changed.version }, (_, i) => i + 1));

    // A change that is refused still brought the case back: the archive hears it is live again, and it leaves once more.
    const other = moved.find((m) => m.state === 'rejected' && m.id !== r.id && m.clerkId === li.staffId)!;
    await expectCode(env.world.service.transition(li, other.id, { to: 'in_session' }), 'CASE_ILLEGAL_TRANSITION');
    expect(await isLive(other.id)).toBe(true);
    await env.archive.caughtUp(redis());
    expect((await env.archive.archive.counts()).archivedOnly).toBe(moved.length - 1);
    expect(await prune()).toEqual({ moved: 1, changed: 0 });
    expect((await env.world.service.getCase(other.id)).version).toBe(other.version);
  });

  it('leaves a case that changed after it was archived (the archive catches up first)', async () => {
    const rejected = (await store().getMany(ids)).filter((r): r is CaseRecord => r !== undefined && r.state === 'rejected');
    const live: CaseRecord[] = [];
    for (const r of rejected) if (await isLive(r.id)) live.push(r);
    expect(live.length).toBeGreaterThan(0);
    const r = live[0]!;
    // As if the feeder had not copied the last change yet: the archive says Redis may drop version - 1.
    expect(await store().evict(r.id, r.version - 1)).toBe('changed');
    expect(await isLive(r.id)).toBe(true);
  });

  it('rebuilds every figure from the live and the archived cases alike (npm run rebuild-figures)', async () => {
    const kept = await statsKeys();
    expect(Object.keys(kept).length).toBeGreaterThan(5);
    for (const key of Object.keys(kept)) await redis().del(key);
    const reader = new StatsReader({
      redis: redis(),
      clock: time.clock,
      labels: { partnership: async (x) => x, item: async (x) => x, hall: async (x) => x, counter: async (x) => x, clerk: async (x) => x },
      getCases: async () => [],
      clerksPresent: async () => ({ online: 0, busy: 0, paused: 0 }),
    });
    // Without the archive the moved cases would be missing from the figures.
    const done = await rebuildFigures(redis(), reader, { archivedOnly: () => env.archive.archive.archivedOnly(3) });
    expect(done).toEqual({ cases: ids.length + 1, partnerships: 2 });
    expect(await statsKeys()).toEqual(kept);
  });
});

describe('办件档案: the feeder loses nothing', () => {
  it('copies what was committed while PostgreSQL was down, once it is back', async () => {
    const pgServer = env.archive.postgres.server;
    pgServer.kill();
    const s = env.world.service;
    const opened: string[] = [];
    for (let i = 0; i < 3; i++) opened.push((await s.openCase(WUJIANG_COUNTER, { partnershipId: WH, itemCode: ITEMS.pension, applicant: APPLICANT })).id);
    await s.acceptCase(li, opened[0]!);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await env.world.redis.xLen('archive:outbox')).toBeGreaterThanOrEqual(4);
    await pgServer.restart();
    await env.archive.caughtUp(env.world.redis);
    for (const id of opened) expect((await env.archive.archive.record(id))?.version).toBe((await s.getCase(id)).version);
  });

  it('takes over the entries a feeder that died had taken but not copied', async () => {
    await env.archive.stopFeeders();
    const s = env.world.service;
    const c = await s.openCase(WUJIANG_COUNTER, { partnershipId: WH, itemCode: ITEMS.certificate, applicant: APPLICANT });
    await s.acceptCase(li, c.id);
    // A node's feeder reads the entries and dies before copying them.
    const taken = await env.world.redis.xReadGroup('archive', 'node-that-died', { key: 'archive:outbox', id: '>' }, { COUNT: 100 });
    expect(taken?.[0]?.messages.length).toBe(2);
    expect(await env.archive.archive.record(c.id)).toBeUndefined();
    await env.archive.feed(env.world.redis, s.store, { consumer: 'survivor', claimIdleMs: 300 });
    await env.archive.caughtUp(env.world.redis);
    expect((await env.archive.archive.record(c.id))?.version).toBe(2);
    const pending = (await env.world.redis.xPending('archive:outbox', 'archive')) as { pending: number };
    expect(pending.pending).toBe(0);
  });
});
