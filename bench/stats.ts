// Statistics benchmark: the administrator's dashboard query over 100,000 cases, and what keeping
// the figures at write time costs each case write.
//   npm run bench:stats            (CASES=100000 DAYS=120 by default)
// Seeds CASES cases through the real CaseStore (each opened, most accepted, closed and rated, so
// the commit script maintains the figures as in production) on a private redis-server with AOF,
// spread over DAYS days, 4 partnerships, 5 items, 3 halls, 6 counters, 24 clerks. Seeding runs
// with appendfsync no (it is not measured); everything measured runs with appendfsync always.
// Prints one JSON line:
// - query_<N>d_p50_ms / _p95_ms: StatsReader.report over the newest N days of every partnership
//   (what the statistics tab asks for), a case's life committed before each query so the newest
//   day is always re-read; goal p95 ≤ 200 ms for 30 days. query_30d_cold_ms: a node's first
//   query (nothing cached);
// - write_* : a case's life (open, accept, complete, rate) and a field edit, through a store that
//   keeps the figures and one that does not (`aggregates: false`), interleaved on the same server;
//   `*_overhead_ratio` = with / without. These break the cost down by kind of commit: only the
//   few commits that change what a case counts for (open, accept, close, rate) pay it. The goal
//   (≤ 1.10 on case writes) is checked over whole case lives by bench:case-store
//   (`figures_overhead_ratio`).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { RedisServer } from '@rvw/infra/redis/RedisServer';
import type { Partnership } from '@rvw/protocol/catalog';
import { CaseStore, type NewCase } from '@rvw/signaling/cases/CaseStore';
import { StatsReader } from '@rvw/signaling/stats/StatsReader';
import { connectRedis } from '@rvw/signaling/store/redisClient';
import { mean, percentile, printResult } from './runBench';

const CASES = Number(process.env.CASES ?? 100_000);
const DAYS = Number(process.env.DAYS ?? 120);
const QUERIES = 40;
const WRITE_ROUNDS = 300;
const PARTNERSHIPS = ['p-wj-hq', 'p-wj-la', 'p-sz-hq', 'p-sz-la'];
const ITEMS = ['000117005000', '000117013000', '000117009000', '000121004000', '000117001000'];
const HALLS = ['hall-1', 'hall-2', 'hall-3'];
const COUNTERS = ['ctr-1', 'ctr-2', 'ctr-3', 'ctr-4', 'ctr-5', 'ctr-6'];
const CLERKS = Array.from({ length: 24 }, (_, i) => `clerk-${i}`);
const DAY_MS = 86_400_000;
const END = Date.parse('2026-11-30T16:00:00.000Z');

let seed = 7;
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};
const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
const iso = (ms: number) => new Date(ms).toISOString();
let clockMs = END;
const clock = () => new Date(clockMs);

function newCase(id: string, at: number): NewCase {
  const hall = pick(HALLS);
  return {
    id,
    state: 'queued',
    partnershipId: pick(PARTNERSHIPS),
    itemCode: pick(ITEMS),
    itemName: '城乡居民基本养老保险个人账户一次性支付',
    servingRegion: '341522',
    applicantRegion: '320509',
    hallId: hall,
    counterId: pick(COUNTERS),
    applicant: { name: '陈添荣', idNumber: '341522195803124510', phone: '13912345678' },
    fields: { statement: `申请 ${at}` },
    checklist: ['id_card', 'household_register', 'bank_card'].map((materialId, i) => ({ materialId, name: `材料 ${i}`, mandatory: true, status: 'missing' as const })),
    materials: [],
    documents: [],
    chat: [],
    ratings: {},
  };
}

const actor = { id: 'bench', role: 'clerk' as const, region: '341522' };

/** One case's life through `store`, its times starting at `at`; the commits' durations (ms) go to `times`. */
async function life(store: CaseStore, id: string, at: number, times?: number[]): Promise<void> {
  const t = async (fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    await fn();
    times?.push(performance.now() - t0);
  };
  const fate = random();
  const clerk = pick(CLERKS);
  const accepted = at + 30_000 + Math.floor(random() * 1_800_000);
  const closed = accepted + 120_000 + Math.floor(random() * 3_600_000);
  // The store stamps createdAt from its clock, read synchronously when insert is called.
  clockMs = at;
  await t(() => store.insert({ ...newCase(id, at) }, { actor, action: 'case.opened', data: {} }));
  if (fate < 0.12) {
    await t(() => store.update(id, (d) => ((d.state = 'abandoned'), (d.closedAt = iso(accepted)), { actor, action: 'case.abandoned', data: {} })));
    return;
  }
  await t(() => store.update(id, (d) => ((d.state = 'in_session'), (d.clerkId = clerk), (d.acceptedAt = iso(accepted)), { actor, action: 'case.accepted', data: {} })));
  await t(() =>
    store.update(id, (d) => {
      d.state = fate < 0.25 ? 'rejected' : 'completed';
      d.closedAt = iso(closed);
      return { actor, action: `case.${d.state}`, data: {} };
    }),
  );
  const score = pick([1, 2, 3, 4, 5, 5, 5, 5]);
  await t(() => store.update(id, (d) => ((d.ratings.clerk = { score, at: iso(closed + 60_000), ...(score <= 2 ? { comment: '等待时间太长' } : {}) }), { actor, action: 'case.rated', data: {} })));
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rvw-bench-stats-'));
  const server = await RedisServer.start({ dataDir });
  const redis = await connectRedis(server.url);
  try {
    const store = await CaseStore.create({ redis, clock });
    const bare = await CaseStore.create({ redis, clock, aggregates: false });

    // Seeding (not measured): fsync off, 64 cases in flight.
    await redis.configSet('appendfsync', 'no');
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < CASES) {
          const n = next++;
          await life(store, `seed-${n}`, END - DAY_MS * DAYS + Math.floor((n / CASES) * DAY_MS * DAYS));
        }
      }),
    );
    const seedS = (performance.now() - t0) / 1000;
    await redis.configSet('appendfsync', 'always');

    const reader = new StatsReader({
      redis,
      clock: () => new Date(END),
      labels: { partnership: async (x) => x, item: async (x) => x, hall: async (x) => x, counter: async (x) => x, clerk: async (x) => x },
      getCases: (ids) => store.getMany(ids),
      clerksPresent: async () => ({ online: 0, busy: 0, paused: 0 }),
    });
    const partnerships = PARTNERSHIPS.map((id) => ({ id, regions: ['320509', '341522'], offers: [] }) as unknown as Partnership);
    const day = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);
    // Cases keep coming while administrators look: a life between queries changes today's figures.
    const query = async (days: number) => {
      const times: number[] = [];
      let opened = 0;
      for (let i = 0; i < QUERIES; i++) {
        await life(store, `q${days}-${i}`, END - 3_600_000);
        const q0 = performance.now();
        const r = await reader.report(partnerships, { from: day(END - DAY_MS * (days - 1)), to: day(END) });
        times.push(performance.now() - q0);
        opened = r.totals.opened;
      }
      return { p50: percentile(times, 50), p95: percentile(times, 95), opened };
    };
    // A node's first query reads and parses every day (its cache is empty); then only days that changed.
    const c0 = performance.now();
    await reader.report(partnerships, { from: day(END - DAY_MS * 29), to: day(END) });
    const cold30 = performance.now() - c0;
    const q30 = await query(30);
    const q90 = await query(90);

    // Write overhead: the same lives and edits through both stores, alternating.
    const withAgg: number[] = [];
    const without: number[] = [];
    const editWith: number[] = [];
    const editWithout: number[] = [];
    const edit = async (s: CaseStore, id: string, out: number[]) => {
      const e0 = performance.now();
      await s.update(id, (d) => ((d.fields.note = `修改 ${performance.now()}`), { actor, action: 'fields.updated', data: {} }));
      out.push(performance.now() - e0);
    };
    for (let i = 0; i < WRITE_ROUNDS; i++) {
      const at = END - DAY_MS * 2 + i * 1000;
      if (i % 2 === 0) {
        await life(store, `w-${i}`, at, withAgg);
        await life(bare, `b-${i}`, at, without);
      } else {
        await life(bare, `b-${i}`, at, without);
        await life(store, `w-${i}`, at, withAgg);
      }
      // Ten edits each, in alternating order (the first write after a pause pays for it).
      for (let e = 0; e < 10; e++) {
        if ((i + e) % 2 === 0) {
          await edit(store, `w-${i}`, editWith);
          await edit(bare, `b-${i}`, editWithout);
        } else {
          await edit(bare, `b-${i}`, editWithout);
          await edit(store, `w-${i}`, editWith);
        }
      }
    }
    const p50 = (xs: number[]) => percentile(xs, 50);
    const r3 = (x: number) => Math.round(x * 1000) / 1000;
    printResult({
      bench: 'stats',
      cases: CASES,
      days: DAYS,
      partnerships: PARTNERSHIPS.length,
      seed_s: Math.round(seedS),
      appendfsync: 'always',
      query_30d_cold_ms: r3(cold30),
      query_30d_p50_ms: r3(q30.p50),
      query_30d_p95_ms: r3(q30.p95),
      query_30d_cases_opened: q30.opened,
      query_90d_p50_ms: r3(q90.p50),
      query_90d_p95_ms: r3(q90.p95),
      query_90d_cases_opened: q90.opened,
      write_life_commits: withAgg.length,
      write_with_figures_p50_ms: r3(p50(withAgg)),
      write_without_figures_p50_ms: r3(p50(without)),
      write_with_figures_mean_ms: r3(mean(withAgg)),
      write_without_figures_mean_ms: r3(mean(without)),
      lifecycle_commit_overhead_ratio: r3(mean(withAgg) / mean(without)),
      field_edit_with_figures_p50_ms: r3(p50(editWith)),
      field_edit_without_figures_p50_ms: r3(p50(editWithout)),
      field_edit_overhead_ratio: r3(mean(editWith) / mean(editWithout)),
      field_edit_overhead_p50_ratio: r3(p50(editWith) / p50(editWithout)),
      lifecycle_commit_overhead_p50_ratio: r3(p50(withAgg) / p50(without)),
      goals: { query_30d_p95_ms: 200 },
    });
  } finally {
    redis.destroy();
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
