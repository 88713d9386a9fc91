import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import { DURATION_BUCKETS_S, type StatsFigures, type StatsQueryInput } from '@rvw/protocol/stats';
import type { Principal } from '@rvw/signaling/auth/Principal';
import { CaseStore } from '@rvw/signaling/cases/CaseStore';
import { ClerkPresence } from '@rvw/signaling/queue/ClerkPresence';
import { figuresTable, ratingsTable, toCsv, toXlsx } from '@rvw/signaling/stats/statsExport';
import { StatsReader } from '@rvw/signaling/stats/StatsReader';
import { APPLICANT, expectCode, fakeClock, huoqiuClerk, ITEMS, pngBytes, useCaseWorld, WUJIANG_COUNTER } from '../cases/fixtures';

/*
 * The figures kept with each case change (stats/caseContributions, applied in CaseStore's commit
 * script) against figures recomputed here from the raw case records, written independently of the
 * product's code; then the same after a rebuild from the records.
 */

const time = fakeClock('2025-07-14T01:00:00.000Z');
const env = useCaseWorld({ clock: time.clock });
const clerks = [huoqiuClerk('clerk-stats-a'), huoqiuClerk('clerk-stats-b')];
const adminHQ: Principal = { kind: 'staff', role: 'admin', staffId: 'adm-hq', name: '霍邱管理员', regionCodes: ['341522'] };
const adminWJ: Principal = { kind: 'staff', role: 'admin', staffId: 'adm-wj', name: '吴江管理员', regionCodes: ['320509'] };

/** A deterministic generator (mulberry32), so a failure replays. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ids: string[] = [];

function reader(): StatsReader {
  const w = env.world;
  return new StatsReader({
    redis: w.redis,
    clock: time.clock,
    labels: { partnership: async (id) => id, item: async (c) => c, hall: async (h) => h, counter: async (c) => c, clerk: async (c) => c },
    getCases: (xs) => w.service.store.getMany(xs),
    clerksPresent: (pairs) => new ClerkPresence(w.redis, time.clock).snapshot(pairs),
  });
}

const cst = (iso: string) => new Date(Date.parse(iso) + 8 * 3_600_000).toISOString().slice(0, 10);
const secs = (a: string, b: string) => Math.max(0, Math.round((Date.parse(b) - Date.parse(a)) / 1000));
const bound = (s: number) => DURATION_BUCKETS_S.find((b) => s <= b) ?? -1;
function nearestRankBound(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return bound(sorted[Math.ceil((p / 100) * sorted.length) - 1]!);
}

/**
 * The figures of `records` for a query, computed from the records alone. A breakdown row or a
 * filtered view (`row`) has no duration percentiles (means only), and a clerk's row counts only
 * what happened once the clerk held the case (not its opening).
 */
function recompute(records: CaseRecord[], q: StatsQueryInput, keep: (r: CaseRecord) => boolean = () => true, row?: 'clerk' | 'other'): StatsFigures {
  const inRange = (iso: string | undefined) => iso !== undefined && cst(iso) >= q.from && cst(iso) <= q.to;
  const rs = records.filter(keep);
  const closedAs = (state: string) => rs.filter((r) => r.state === state && inRange(r.closedAt)).length;
  const accepted = rs.filter((r) => inRange(r.acceptedAt));
  const handled = rs.filter((r) => (r.state === 'completed' || r.state === 'rejected') && r.acceptedAt && inRange(r.closedAt));
  const levels = (target: 'clerk' | 'counter') => [1, 2, 3, 4, 5].map((s) => rs.filter((r) => r.ratings[target]?.score === s && inRange(r.ratings[target]?.at)).length);
  const ratings = { clerk: levels('clerk'), counter: levels('counter') };
  const handleSecs = handled.map((r) => secs(r.acceptedAt!, r.closedAt!));
  const waits = accepted.map((r) => secs(r.createdAt, r.acceptedAt!));
  return {
    opened: row === 'clerk' ? 0 : rs.filter((r) => inRange(r.createdAt)).length,
    accepted: accepted.length,
    completed: closedAs('completed'),
    rejected: closedAs('rejected'),
    abandoned: closedAs('abandoned'),
    waitMeanS: waits.length ? Math.round(waits.reduce((a, b) => a + b, 0) / waits.length) : null,
    waitP50S: row ? null : nearestRankBound(waits, 50),
    waitP90S: row ? null : nearestRankBound(waits, 90),
    handlingMeanS: handleSecs.length ? Math.round(handleSecs.reduce((a, b) => a + b, 0) / handleSecs.length) : null,
    handlingP50S: row ? null : nearestRankBound(handleSecs, 50),
    ratings,
    poor: ratings.clerk[0]! + ratings.clerk[1]! + ratings.counter[0]! + ratings.counter[1]!,
  };
}

async function records(): Promise<CaseRecord[]> {
  return (await env.world.service.store.getMany(ids)) as CaseRecord[];
}

describe('service statistics kept at write time', () => {
  it('seeds three days of cases through the use cases: opened, abandoned, accepted, 补正, 容缺, completed, rejected, rated', async () => {
    const s = env.world.service;
    const random = rng(20250714);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
    for (let day = 0; day < 3; day++) {
      time.set(`2025-07-${14 + day}T01:00:00.000Z`);
      for (let n = 0; n < 14; n++) {
        time.advance(Math.floor(random() * 900));
        const opened = await s.openCase(WUJIANG_COUNTER, {
          partnershipId: env.world.demo.partnershipId,
          itemCode: pick([ITEMS.pension, ITEMS.certificate]),
          applicant: APPLICANT,
        });
        ids.push(opened.id);
        time.advance(20 + Math.floor(random() * 1500));
        const fate = random();
        if (fate < 0.15) {
          await s.leaveQueue(WUJIANG_COUNTER, opened.id);
          continue;
        }
        const clerk = pick(clerks);
        const accepted = await s.acceptCase(clerk, opened.id);
        time.advance(60 + Math.floor(random() * 2400));
        if (fate < 0.3) {
          await s.transition(clerk, opened.id, { to: 'rejected', reason: '不符合办理条件' });
        } else if (fate < 0.38) {
          // Left in session (handled tomorrow): counts as accepted, not closed.
          continue;
        } else {
          await s.transition(clerk, opened.id, { to: 'pending_materials', reason: '缺少材料' });
          for (const line of accepted.checklist.filter((l) => l.mandatory)) {
            await s.waiveMaterial(clerk, opened.id, { materialId: line.materialId, note: '后补', deadline: pick([`2025-07-${14 + day}`, `2025-07-${15 + day}`, '2025-08-30']) });
          }
          await s.transition(clerk, opened.id, { to: 'in_session' });
          await s.confirmSignature(WUJIANG_COUNTER, opened.id, { png: pngBytes(`签名${opened.id}`) });
          time.advance(Math.floor(random() * 600));
          await s.transition(clerk, opened.id, { to: 'completed' });
        }
        time.advance(30);
        const score = pick([1, 2, 3, 4, 5, 5, 5]);
        await s.rate(WUJIANG_COUNTER, opened.id, { target: 'clerk', score, ...(score <= 2 ? { comment: `等了很久 ${opened.number}` } : {}) });
        if (random() < 0.6) await s.rate(WUJIANG_COUNTER, opened.id, { target: 'counter', score: pick([2, 4, 5]) });
      }
    }
    // The next morning: some waived materials are overdue (deadline 07-15 or 07-16), some not.
    time.set('2025-07-17T01:00:00.000Z');
    const all = await records();
    expect(all.map((r) => r.state)).toEqual(expect.arrayContaining(['abandoned', 'rejected', 'completed', 'in_session']));
    expect(all.filter((r) => (r.ratings.clerk?.score ?? 5) <= 2).length).toBeGreaterThanOrEqual(2);
  });

  it('a range’s totals, days and breakdowns equal the figures recomputed from the records', async () => {
    const all = await records();
    const partnerships = [await env.world.catalog.require('partnership', env.world.demo.partnershipId)];
    for (const q of [
      { from: '2025-07-14', to: '2025-07-16' },
      { from: '2025-07-15', to: '2025-07-15' },
      { from: '2025-07-14', to: '2025-07-16', itemCode: ITEMS.certificate },
      { from: '2025-07-14', to: '2025-07-16', clerkId: 'clerk-stats-b' },
    ] satisfies StatsQueryInput[]) {
      const report = await reader().report(partnerships, q);
      const keep = (r: CaseRecord) => (!('itemCode' in q) || r.itemCode === q.itemCode) && (!('clerkId' in q) || r.clerkId === q.clerkId);
      const view = 'clerkId' in q ? 'clerk' : 'itemCode' in q ? 'other' : undefined;
      expect(report.totals, JSON.stringify(q)).toEqual(recompute(all, q, keep, view));
      for (const d of report.byDay) expect(d.figures, `${JSON.stringify(q)} ${d.day}`).toEqual(recompute(all, { from: d.day, to: d.day }, keep, view));
      for (const row of report.by.clerk) expect(row.figures, `clerk ${row.key}`).toEqual(recompute(all, q, (r) => keep(r) && r.clerkId === row.key, 'clerk'));
      for (const row of report.by.item) expect(row.figures, `item ${row.key}`).toEqual(recompute(all, q, (r) => keep(r) && r.itemCode === row.key, 'other'));
      for (const row of report.by.counter) expect(row.figures, `counter ${row.key}`).toEqual(recompute(all, q, (r) => keep(r) && r.counterId === row.key, 'other'));
      // Filtered by one dimension, the other dimensions are not broken down.
      if ('clerkId' in q) expect([report.by.item, report.by.hall]).toEqual([[], []]);
      else if ('itemCode' in q) expect([report.by.clerk, report.by.counter, report.by.item.map((r) => r.key)]).toEqual([[], [], [q.itemCode]]);
      else expect(report.by.clerk.map((r) => r.key).sort()).toEqual(['clerk-stats-a', 'clerk-stats-b']);
      // The 差评 list: every rating at level 1–2 in the range, newest first, with its comment.
      const poor = all
        .flatMap((r) => (['clerk', 'counter'] as const).filter((t) => keep(r) && (r.ratings[t]?.score ?? 5) <= 2 && cst(r.ratings[t]!.at) >= q.from && cst(r.ratings[t]!.at) <= q.to).map((t) => ({ caseId: r.id, target: t, at: r.ratings[t]!.at, comment: r.ratings[t]!.comment ?? null })))
        .sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || 0);
      expect(report.poorRatings.map((p) => ({ caseId: p.caseId, target: p.target, at: p.at, comment: p.comment })).sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || a.caseId.localeCompare(b.caseId))).toEqual(
        [...poor].sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || a.caseId.localeCompare(b.caseId)),
      );
    }
    const totals = (await reader().report(partnerships, { from: '2025-07-14', to: '2025-07-16' })).totals;
    expect(totals.opened).toBe(42);
    expect(totals.completed + totals.rejected + totals.abandoned).toBeGreaterThan(20);
  });

  it('容缺 outstanding and overdue follow the checklist: supplied or rejected cases owe nothing', async () => {
    const all = await records();
    const partnerships = [await env.world.catalog.require('partnership', env.world.demo.partnershipId)];
    const now = Date.parse('2025-07-17T01:00:00.000Z');
    const lines = all.filter((r) => r.state !== 'rejected' && r.state !== 'abandoned').flatMap((r) => r.checklist.filter((l) => l.status === 'waived'));
    const expected = { outstanding: lines.length, overdue: lines.filter((l) => Date.parse(`${l.waiver!.deadline}T00:00:00+08:00`) + 86_400_000 <= now).length };
    const report = await reader().report(partnerships, { from: '2025-07-14', to: '2025-07-16' });
    expect(report.waivers).toEqual(expected);
    expect(expected.overdue).toBeGreaterThan(0);
    expect(expected.outstanding).toBeGreaterThan(expected.overdue);
  });

  it('a rebuild from the raw records gives back exactly the figures kept with each change', async () => {
    const partnerships = [await env.world.catalog.require('partnership', env.world.demo.partnershipId)];
    const q = { from: '2025-07-14', to: '2025-07-16' };
    const kept = await reader().report(partnerships, q);
    const dayKey = `stats:day:${env.world.demo.partnershipId}:2025-07-15`;
    const keptHash = await env.world.redis.hGetAll(dayKey);
    const keptClerks = await env.world.redis.hGetAll(`${dayKey}:clerk`);
    // Damage the figures first: the rebuild must not build on what was there (nor a reader's cache).
    await env.world.redis.hIncrBy(dayKey, 'opened', 99);
    await env.world.redis.hIncrBy(`${dayKey}:clerk`, 'accepted|clerk-stats-a', 5);
    expect((await reader().report(partnerships, q)).totals.opened).toBe(kept.totals.opened + 99);
    await reader().rebuild([env.world.demo.partnershipId], await records());
    expect(await env.world.redis.hGetAll(dayKey)).toEqual(keptHash);
    expect(await env.world.redis.hGetAll(`${dayKey}:clerk`)).toEqual(keptClerks);
    expect(await reader().report(partnerships, q)).toEqual(kept);
  });

  it('整改 of a 差评: the rated side’s administrator records it once, in the audit chain; others are refused', async () => {
    const s = env.world.service;
    const all = await records();
    const poor = all.find((r) => (r.ratings.clerk?.score ?? 5) <= 2)!;
    const fine = all.find((r) => (r.ratings.clerk?.score ?? 0) >= 3)!;
    await expectCode(s.followUpPoorRating(adminWJ, poor.id, { target: 'clerk', text: '已约谈' }), 'FORBIDDEN');
    await expectCode(s.followUpPoorRating(clerks[0]!, poor.id, { target: 'clerk', text: '已约谈' }), 'FORBIDDEN');
    await expectCode(s.followUpPoorRating(adminHQ, fine.id, { target: 'clerk', text: '已约谈' }), 'RATING_NOT_POOR');
    await expectCode(s.followUpPoorRating(adminHQ, poor.id, { target: 'clerk', text: ' ' }), 'VALIDATION_FAILED');
    const done = await s.followUpPoorRating(adminHQ, poor.id, { target: 'clerk', text: '已约谈受理人员，增加午间值守' });
    expect(done.ratings.clerk!.followUp).toEqual({ text: '已约谈受理人员，增加午间值守', by: 'adm-hq', at: time.clock().toISOString() });
    await expectCode(s.followUpPoorRating(adminHQ, poor.id, { target: 'clerk', text: '再次整改' }), 'RATING_ALREADY_FOLLOWED_UP');
    const { events } = await s.history(poor.id);
    expect(events.at(-1)).toMatchObject({ action: 'rating.followed_up', actor: { id: 'adm-hq' }, data: { target: 'clerk', text: '已约谈受理人员，增加午间值守' } });
    const partnerships = [await env.world.catalog.require('partnership', env.world.demo.partnershipId)];
    const report = await reader().report(partnerships, { from: '2025-07-14', to: '2025-07-16' });
    expect(report.poorRatings.find((p) => p.caseId === poor.id && p.target === 'clerk')!.followUp).toMatchObject({ text: '已约谈受理人员，增加午间值守' });
    // A follow-up changes no figure.
    expect(report.totals).toEqual(recompute(await records(), { from: '2025-07-14', to: '2025-07-16' }));
  });

  it('exports parse back to the figures: CSV (BOM, no formula injection) and XLSX', async () => {
    const partnerships = [await env.world.catalog.require('partnership', env.world.demo.partnershipId)];
    const q = { from: '2025-07-14', to: '2025-07-16' };
    const ids = [env.world.demo.partnershipId];
    const ratings = await reader().ratings(ids, q, { poorOnly: false, limit: 10_000 });
    const all = await records();
    expect(ratings.length).toBe(all.reduce((n, r) => n + (r.ratings.clerk ? 1 : 0) + (r.ratings.counter ? 1 : 0), 0));
    const csv = toCsv(ratingsTable(ratings)).toString('utf8');
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    const lines = csv.slice(1).trimEnd().split('\r\n');
    expect(lines[0]).toBe('办件编号,评价对象,对象类型,渠道,等级,分值,评价时间,事项,评价内容,整改情况,整改时间');
    expect(lines.length - 1).toBe(ratings.length);
    expect(lines.filter((l) => l.includes(',非常不满意,1,')).length).toBe(ratings.filter((r) => r.score === 1).length);
    const injected = toCsv({ name: 't', header: ['a'], rows: [['=HYPERLINK("x")'], ['+1'], ['普通']] }).toString('utf8');
    expect(injected).toContain(`"'=HYPERLINK(""x"")"`);
    expect(injected).toContain(`"'+1"`);

    const report = await reader().report(partnerships, q);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load((await toXlsx(figuresTable(report))) as unknown as ArrayBuffer);
    const sheet = book.getWorksheet('办件统计')!;
    const header = (sheet.getRow(1).values as unknown[]).slice(1);
    const total = (sheet.getRow(2).values as unknown[]).slice(1);
    const col = (name: string) => total[header.indexOf(name)];
    expect(total[0]).toBe('合计');
    expect([col('新建'), col('受理'), col('办结'), col('不予受理'), col('离开队列'), col('差评')]).toEqual([
      report.totals.opened,
      report.totals.accepted,
      report.totals.completed,
      report.totals.rejected,
      report.totals.abandoned,
      report.totals.poor,
    ]);
    expect(sheet.rowCount).toBe(1 + 1 + 3 + Object.values(report.by).reduce((n, rows) => n + rows.length, 0));
  });

  it('keeps Redis writes of changes that count for nothing unchanged (a chat line adds no figure)', async () => {
    const s = env.world.service;
    const clerk = clerks[0]!;
    const opened = await s.openCase(WUJIANG_COUNTER, { partnershipId: env.world.demo.partnershipId, itemCode: ITEMS.pension, applicant: APPLICANT });
    await s.acceptCase(clerk, opened.id);
    const dayKey = `stats:day:${env.world.demo.partnershipId}:2025-07-17`;
    const before = await env.world.redis.hGetAll(dayKey);
    await s.addChat(clerk, opened.id, { text: '您好' });
    await s.updateFields(WUJIANG_COUNTER, opened.id, { expectedVersion: (await s.getCase(opened.id)).version, set: { phone2: '13900000000' } });
    expect(await env.world.redis.hGetAll(dayKey)).toEqual(before);
    expect(Number(before.accepted)).toBeGreaterThan(0);
    expect(CaseStore.keysOf(opened.id).record).toBe(`case:{${opened.id}}`);
  });
});
