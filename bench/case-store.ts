// Case-store benchmark: field updates through the real CaseStore compare-and-set path (read, Lua
// CAS + audit XADD) against a private redis-server with AOF `appendfsync always`.
//   npm run bench:case-store
// Prints one JSON line: p50/p99 latency of a sequential pass (one editor, as in a session) and
// throughput of a concurrent pass (many sessions, each editing its own case). Every update costs
// one fsync, so the disk's fsync latency is the floor: `baseline_*` is a bare SET of a record-sized
// value, timed interleaved with the updates so both see the same disk.
// `life_*`: whole case lives (open, accept, field edits, chat, materials, 办结, rating: the commit
// mix of a real case, LIFE_COMMITS commits each) through a store that keeps the statistics' figures
// in its commit script and one that does not (`aggregates: false`), interleaved life by life on
// the same server: `figures_overhead_ratio` is what keeping the figures costs case writes
// (issue #16: goal ≤ 1.10). bench:stats breaks it down per kind of commit.
//   npm run bench:case-store -- --replicated
// The same on a Redis Sentinel set (primary + two replicas, AOF always on each, loopback), the
// store acknowledging a commit only after WAIT 1 (as a node with RVW_REDIS_SENTINELS does):
// `p50_ms`/`p99_ms` are then the replicated commits, `no_wait_*` the same commits on the same set
// without WAIT, timed interleaved, so `wait_cost_p50_ms` is what the replica acknowledgement adds.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { RedisSentinelSet } from '@rvw/infra/redis/RedisSentinelSet';
import { RedisServer } from '@rvw/infra/redis/RedisServer';
import { CaseStore, type NewCase } from '@rvw/signaling/cases/CaseStore';
import { connectRedis, connectRedisTarget, type RedisClient } from '@rvw/signaling/store/redisClient';
import type { ReplicaAck } from '@rvw/signaling/store/ReplicaAck';
import { mean, percentile, printResult } from './runBench';

const SEQUENTIAL_UPDATES = 2_000;
const WRITERS = 16;
const UPDATES_PER_WRITER = 500;
const WARMUP = 200;
const LIVES = 200;

const actor = { id: 'clerk-bench', role: 'clerk' as const, region: '341522' };

/** A case about the size of a real one mid-session: five checklist lines, some fields and chat. */
function sampleCase(id: string): NewCase {
  return {
    id,
    state: 'in_session',
    partnershipId: 'wujiang-huoqiu',
    itemCode: '000117005000',
    itemName: '城乡居民基本养老保险个人账户一次性支付',
    servingRegion: '341522',
    applicantRegion: '320509',
    hallId: 'wujiang-xzfwzx',
    counterId: 'wujiang-kyth-01',
    applicant: { name: '陈添荣', idNumber: '341522195803124510', phone: '13912345678' },
    fields: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`field${i}`, `申请表第 ${i} 项内容`])),
    checklist: ['id_card', 'household_register', 'bank_card', 'death_or_other_proof', 'heir_relation'].map((materialId, i) => ({
      materialId,
      name: `材料 ${i}`,
      mandatory: i < 4,
      status: 'missing' as const,
    })),
    materials: [],
    documents: [],
    chat: Array.from({ length: 20 }, (_, i) => ({ at: new Date().toISOString(), by: 'clerk-bench', role: 'clerk' as const, text: `第 ${i} 条消息：请把材料放到高拍仪下。` })),
    ratings: {},
    clerkId: 'clerk-bench',
  };
}

const REPLICATED = process.argv.includes('--replicated');

/**
 * One case's life as the use cases commit it: opened at the counter (queued), accepted, six
 * application-form edits, eight chat lines, four materials captured, 办结, rated. Answers the
 * number of commits.
 */
async function caseLife(store: CaseStore, id: string): Promise<number> {
  const fresh: NewCase = { ...sampleCase(id), state: 'queued', chat: [], fields: {} };
  delete fresh.clerkId;
  let commits = 1;
  await store.insert(fresh, { actor: { id: 'wujiang-kyth-01', role: 'counter', region: '320509' }, action: 'case.opened', data: {} });
  const step = async (action: string, mutate: (d: Parameters<Parameters<CaseStore['update']>[1]>[0]) => void) => {
    await store.update(id, (draft) => {
      mutate(draft);
      return { actor, action, data: {} };
    });
    commits++;
  };
  const now = () => new Date().toISOString();
  await step('case.accepted', (d) => Object.assign(d, { state: 'in_session', clerkId: 'clerk-bench', acceptedAt: now() }));
  for (let i = 0; i < 6; i++) await step('fields.updated', (d) => void (d.fields[`field${i}`] = `申请表第 ${i} 项内容`));
  for (let i = 0; i < 8; i++) await step('chat.added', (d) => void d.chat.push({ at: now(), by: 'clerk-bench', role: 'clerk', text: `第 ${i} 条消息：请把材料放到高拍仪下。` }));
  for (let i = 0; i < 4; i++) {
    await step('material.captured', (d) => {
      const line = d.checklist[i]!;
      line.status = 'provided';
      d.materials.push({ sha256: `${i}`.repeat(64), mime: 'image/jpeg', size: 200_000, kind: 'document_camera', name: line.name, materialId: line.materialId, capturedAt: now(), capturedBy: 'clerk-bench' });
    });
  }
  await step('case.completed', (d) => Object.assign(d, { state: 'completed', closedAt: now(), closeReason: '办结' }));
  await step('case.rated', (d) => void (d.ratings.clerk = { score: 5, at: now() }));
  return commits;
}

/** The Redis the bench runs on: one server, or a Sentinel set with WAIT-acknowledged commits. */
async function deployment(dataDir: string): Promise<{ redis: RedisClient; replicaAck?: ReplicaAck; stop: () => Promise<void> }> {
  if (!REPLICATED) {
    const server = await RedisServer.start({ dataDir });
    const redis = await connectRedis(server.url);
    return { redis, stop: async () => (redis.destroy(), await server.stop()) };
  }
  const set = await RedisSentinelSet.start({ dataDir });
  const { redis, replicaAck } = await connectRedisTarget({ sentinel: { name: set.name, sentinels: set.sentinels, password: set.password } }, { replicas: 1, timeoutMs: 1000 });
  return { redis, replicaAck, stop: async () => (await redis.quit().catch(() => undefined), await set.stop()) };
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rvw-bench-case-store-'));
  const { redis, replicaAck, stop } = await deployment(dataDir);
  try {
    const appendfsync = ((await redis.configGet('appendfsync')) as Record<string, string>).appendfsync;
    const store = await CaseStore.create({ redis, ...(replicaAck ? { replicaAck } : {}) });
    // The same commits without WAIT, on the same deployment (replicated mode only).
    const noWaitStore = await CaseStore.create({ redis });

    // One client edit: the version the editor saw, a field set, the CAS commit with its audit event.
    const edit = async (caseId: string, version: number, n: number, on = store) => {
      const next = await on.update(
        caseId,
        (draft) => {
          draft.fields.note = `第 ${n} 次修改`;
          return { actor, action: 'fields.updated', data: { set: { note: `第 ${n} 次修改` } } };
        },
        { expectedVersion: version },
      );
      return next.version;
    };

    // Sequential pass: latency of one update at a time.
    const seqCase = (await store.insert(sampleCase('bench-seq'), { actor, action: 'case.opened', data: {} })).id;
    let version = 1;
    for (let i = 0; i < WARMUP; i++) version = await edit(seqCase, version, i);
    const noWaitCase = (await noWaitStore.insert(sampleCase('bench-seq-nowait'), { actor, action: 'case.opened', data: {} })).id;
    let noWaitVersion = 1;
    const latencies: number[] = [];
    const noWait: number[] = [];
    const baseline: number[] = [];
    const doc = JSON.stringify(await store.require(seqCase));
    for (let i = 0; i < SEQUENTIAL_UPDATES; i++) {
      const t0 = performance.now();
      version = await edit(seqCase, version, i);
      const t1 = performance.now();
      await redis.set('bench:baseline', doc);
      latencies.push(t1 - t0);
      baseline.push(performance.now() - t1);
      if (REPLICATED) {
        const t2 = performance.now();
        noWaitVersion = await edit(noWaitCase, noWaitVersion, i, noWaitStore);
        noWait.push(performance.now() - t2);
      }
    }

    // Concurrent pass: throughput with many sessions editing their own cases at once.
    const ids = await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => (await store.insert(sampleCase(`bench-w${w}`), { actor, action: 'case.opened', data: {} })).id),
    );
    const concurrentLatencies: number[] = [];
    const started = performance.now();
    await Promise.all(
      ids.map(async (caseId) => {
        let v = 1;
        for (let i = 0; i < UPDATES_PER_WRITER; i++) {
          const t0 = performance.now();
          v = await edit(caseId, v, i);
          concurrentLatencies.push(performance.now() - t0);
        }
      }),
    );
    const elapsedS = (performance.now() - started) / 1000;

    // Whole case lives, with and without the figures, alternating (the second store shares the server).
    const bare = await CaseStore.create({ redis, aggregates: false, ...(replicaAck ? { replicaAck } : {}) });
    const lifeWith: number[] = [];
    const lifeWithout: number[] = [];
    let lifeCommits = 0;
    for (let i = -20; i < LIVES; i++) {
      for (const [on, into] of (i % 2 === 0 ? [[store, lifeWith], [bare, lifeWithout]] : [[bare, lifeWithout], [store, lifeWith]]) as [CaseStore, number[]][]) {
        const t0 = performance.now();
        const commits = await caseLife(on, `bench-life-${on === store ? 'f' : 'b'}-${i}`);
        // The first lives warm both paths up (JIT, script cache) and are not counted.
        if (i >= 0) into.push(performance.now() - t0);
        lifeCommits = commits;
      }
    }

    const round = (x: number) => Math.round(x * 1000) / 1000;
    printResult({
      bench: 'case-store',
      mode: REPLICATED ? 'sentinel_wait_1_replica' : 'single_server',
      p50_ms: round(percentile(latencies, 50)),
      p99_ms: round(percentile(latencies, 99)),
      ...(REPLICATED
        ? {
            no_wait_p50_ms: round(percentile(noWait, 50)),
            no_wait_p99_ms: round(percentile(noWait, 99)),
            wait_cost_p50_ms: round(percentile(latencies, 50) - percentile(noWait, 50)),
          }
        : {}),
      updates_per_s: Math.round((WRITERS * UPDATES_PER_WRITER) / elapsedS),
      baseline_p50_ms: round(percentile(baseline, 50)),
      baseline_p99_ms: round(percentile(baseline, 99)),
      concurrent_p50_ms: round(percentile(concurrentLatencies, 50)),
      concurrent_p99_ms: round(percentile(concurrentLatencies, 99)),
      writers: WRITERS,
      n: SEQUENTIAL_UPDATES + WRITERS * UPDATES_PER_WRITER,
      lives: LIVES,
      life_commits: lifeCommits,
      life_with_figures_mean_ms: round(mean(lifeWith)),
      life_without_figures_mean_ms: round(mean(lifeWithout)),
      life_with_figures_p50_ms: round(percentile(lifeWith, 50)),
      life_without_figures_p50_ms: round(percentile(lifeWithout, 50)),
      figures_overhead_ratio: round(mean(lifeWith) / mean(lifeWithout)),
      figures_overhead_p50_ratio: round(percentile(lifeWith, 50) / percentile(lifeWithout, 50)),
      goals: { figures_overhead_ratio: 1.1 },
      appendfsync,
    });
  } finally {
    await stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
