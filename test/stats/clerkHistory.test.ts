import { describe, expect, it } from 'vitest';
import type { Principal } from '@rvw/signaling/auth/Principal';
import { listClerkCases } from '@rvw/signaling/cases/listClerkCases';
import { rebuildFigures } from '@rvw/signaling/stats/rebuildFigures';
import { StatsReader } from '@rvw/signaling/stats/StatsReader';
import { APPLICANT, expectCode, fakeClock, huoqiuClerk, ITEMS, useCaseWorld, WUJIANG_COUNTER } from '../cases/fixtures';

/* 我的办件: the cases a clerk accepted, from the index the case store keeps with each 受理. */

const time = fakeClock('2025-07-14T01:00:00.000Z');
const env = useCaseWorld({ clock: time.clock });
const [li, wang] = [huoqiuClerk('clerk-hist-li'), huoqiuClerk('clerk-hist-wang')];
const admin: Principal = { kind: 'staff', role: 'admin', staffId: 'adm', name: '管理员', regionCodes: ['*'] };

describe('a clerk’s history (我的办件)', () => {
  it('lists the clerk’s own accepted cases, newest first, masked, in pages; nobody else’s', async () => {
    const s = env.world.service;
    const deps = { redis: env.world.redis, getCases: (ids: readonly string[]) => s.store.getMany(ids) };
    const mine: string[] = [];
    for (let i = 0; i < 7; i++) {
      const c = await s.openCase(WUJIANG_COUNTER, { partnershipId: env.world.demo.partnershipId, itemCode: ITEMS.pension, applicant: APPLICANT });
      time.advance(60);
      await s.acceptCase(i % 3 === 2 ? wang : li, c.id);
      if (i % 3 !== 2) mine.push(c.id);
      if (i === 0) await s.transition(li, c.id, { to: 'rejected', reason: '材料不全' });
      time.advance(60);
    }
    // A case opened but never accepted is nobody's.
    await s.openCase(WUJIANG_COUNTER, { partnershipId: env.world.demo.partnershipId, itemCode: ITEMS.pension, applicant: APPLICANT });

    const first = await listClerkCases(deps, li, { limit: 3 });
    expect(first.cases.map((c) => c.id)).toEqual([...mine].reverse().slice(0, 3));
    expect(first.more).toBe(true);
    expect(first.cases[0]).toMatchObject({ itemName: expect.any(String), state: 'in_session', applicantName: '陈**', closedAt: null, rating: null });
    expect(first.nextCursor).toBe(`${Date.parse(first.cases.at(-1)!.acceptedAt)}:${first.cases.at(-1)!.id}`);
    const rest = await listClerkCases(deps, li, { limit: 10, cursor: first.nextCursor! });
    expect(rest.cases.map((c) => c.id)).toEqual([...mine].reverse().slice(3));
    expect(rest.more).toBe(false);
    expect(rest.nextCursor).toBeNull();
    expect(rest.cases.at(-1)).toMatchObject({ state: 'rejected', closedAt: expect.any(String) });
    expect((await listClerkCases(deps, wang, { limit: 10 })).cases).toHaveLength(2);
    await expectCode(listClerkCases(deps, admin, { limit: 10 }), 'FORBIDDEN');
    await expectCode(listClerkCases(deps, WUJIANG_COUNTER, { limit: 10 }), 'FORBIDDEN');
    // Cases accepted in the same millisecond across a page boundary: one a page, each exactly once.
    const zhao = huoqiuClerk('clerk-hist-zhao');
    const sameMs: string[] = [];
    for (let i = 0; i < 4; i++) sameMs.push((await s.openCase(WUJIANG_COUNTER, { partnershipId: env.world.demo.partnershipId, itemCode: ITEMS.pension, applicant: APPLICANT })).id);
    for (const id of sameMs) await s.acceptCase(zhao, id);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await listClerkCases(deps, zhao, { limit: 1, ...(cursor ? { cursor } : {}) });
      seen.push(...page.cases.map((c) => c.id));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(new Set((await listClerkCases(deps, zhao, { limit: 10 })).cases.map((c) => c.acceptedAt)).size).toBe(1);
    expect(seen).toEqual([...sameMs].sort().reverse());
    // A clerk no longer assigned the item no longer reads its cases (the policy decides per case).
    expect((await listClerkCases(deps, { ...li, itemCodes: [ITEMS.certificate] }, { limit: 10 })).cases).toEqual([]);
  });

  it('npm run rebuild-figures (rebuildFigures) restores every figure and index from the records, as after an upgrade', async () => {
    const redis = env.world.redis;
    const snapshot = async () => {
      const out: Record<string, unknown> = {};
      for (const pattern of ['stats:day:*', 'stats:poor:*', 'stats:ratings:*', 'stats:waivers:*', 'clerk:cases:*']) {
        for (const key of (await redis.keys(pattern)).sort()) out[key] = (await redis.type(key)) === 'hash' ? await redis.hGetAll(key) : await redis.zRangeWithScores(key, 0, -1);
      }
      return out;
    };
    const kept = await snapshot();
    expect(Object.keys(kept).some((k) => k.startsWith('clerk:cases:'))).toBe(true);
    // The 办件档案 keeps no index in Redis (PostgreSQL searches it).
    expect(await redis.keys('archive:*')).toEqual([]);
    // Data from before the indexes existed: none of them, and a stale history line.
    for (const key of Object.keys(kept)) await redis.del(key);
    await redis.zAdd('clerk:cases:clerk-hist-li', { score: 1, value: 'a-case-that-moved' });
    const reader = new StatsReader({
      redis,
      clock: time.clock,
      labels: { partnership: async (x) => x, item: async (x) => x, hall: async (x) => x, counter: async (x) => x, clerk: async (x) => x },
      getCases: async () => [],
      clerksPresent: async () => ({ online: 0, busy: 0, paused: 0 }),
    });
    expect(await rebuildFigures(redis, reader)).toEqual({ cases: 12, partnerships: 1 });
    expect(await snapshot()).toEqual(kept);
  });
});
