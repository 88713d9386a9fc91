// Case-store benchmark: field updates through the real CaseStore compare-and-set path (read, Lua
// CAS + audit XADD) against a private redis-server with AOF `appendfsync always`.
//   npm run bench:case-store
// Prints one JSON line: p50/p99 latency of a sequential pass (one editor, as in a session) and
// throughput of a concurrent pass (many sessions, each editing its own case). Every update costs
// one fsync, so the disk's fsync latency is the floor: `baseline_*` is a bare SET of a record-sized
// value, timed interleaved with the updates so both see the same disk.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { RedisServer } from '@rvw/infra/redis/RedisServer';
import { CaseStore, type NewCase } from '@rvw/signaling/cases/CaseStore';
import { connectRedis } from '@rvw/signaling/store/redisClient';
import { percentile, printResult } from './runBench';

const SEQUENTIAL_UPDATES = 2_000;
const WRITERS = 16;
const UPDATES_PER_WRITER = 500;
const WARMUP = 200;

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

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rvw-bench-case-store-'));
  const server = await RedisServer.start({ dataDir });
  const redis = await connectRedis(server.url);
  try {
    const appendfsync = ((await redis.configGet('appendfsync')) as Record<string, string>).appendfsync;
    const store = await CaseStore.create({ redis });

    // One client edit: the version the editor saw, a field set, the CAS commit with its audit event.
    const edit = async (caseId: string, version: number, n: number) => {
      const next = await store.update(
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
    const latencies: number[] = [];
    const baseline: number[] = [];
    const doc = JSON.stringify(await store.require(seqCase));
    for (let i = 0; i < SEQUENTIAL_UPDATES; i++) {
      const t0 = performance.now();
      version = await edit(seqCase, version, i);
      const t1 = performance.now();
      await redis.set('bench:baseline', doc);
      latencies.push(t1 - t0);
      baseline.push(performance.now() - t1);
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

    const round = (x: number) => Math.round(x * 1000) / 1000;
    printResult({
      bench: 'case-store',
      p50_ms: round(percentile(latencies, 50)),
      p99_ms: round(percentile(latencies, 99)),
      updates_per_s: Math.round((WRITERS * UPDATES_PER_WRITER) / elapsedS),
      baseline_p50_ms: round(percentile(baseline, 50)),
      baseline_p99_ms: round(percentile(baseline, 99)),
      concurrent_p50_ms: round(percentile(concurrentLatencies, 50)),
      concurrent_p99_ms: round(percentile(concurrentLatencies, 99)),
      writers: WRITERS,
      n: SEQUENTIAL_UPDATES + WRITERS * UPDATES_PER_WRITER,
      appendfsync,
    });
  } finally {
    redis.destroy();
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
