import { ArchiveFeeder, archiveCaughtUp } from '@rvw/signaling/archive/ArchiveFeeder';
import { CaseArchive } from '@rvw/signaling/archive/CaseArchive';
import type { CaseStore } from '@rvw/signaling/cases/CaseStore';
import { silentLogger } from '@rvw/signaling/observability/logger';
import type { RedisClient } from '@rvw/signaling/store/redisClient';
import { startTestPostgres, type TestPostgres } from './postgres';

/** A private PostgreSQL with the case archive's tables, for one test file. */
export interface TestArchive {
  postgres: TestPostgres;
  archive: CaseArchive;
  /** Starts a feeder copying `store`'s cases from `redis`'s outbox (on a connection of its own). */
  feed(redis: RedisClient, store: CaseStore, opts?: { consumer?: string; claimIdleMs?: number }): Promise<ArchiveFeeder>;
  /** Stops the feeders started so far (a node that went away). */
  stopFeeders(): Promise<void>;
  /** Resolves once every change committed so far is in the archive. */
  caughtUp(redis: RedisClient): Promise<void>;
  dispose(): Promise<void>;
}

/** Starts PostgreSQL and connects the case archive to it. */
export async function startTestArchive(): Promise<TestArchive> {
  const postgres = await startTestPostgres();
  const archive = await CaseArchive.connect({ url: postgres.url });
  const feeders: { feeder: ArchiveFeeder; redis: RedisClient }[] = [];
  const stopFeeders = async () => {
    for (const f of feeders.splice(0)) {
      await f.feeder.close();
      await f.redis.quit().catch(() => undefined);
    }
  };
  return {
    postgres,
    archive,
    async feed(redis, store, opts = {}) {
      const own = redis.duplicate();
      await own.connect();
      const feeder = await ArchiveFeeder.start({
        redis: own,
        consumer: opts.consumer ?? 'test-feeder',
        ...(opts.claimIdleMs !== undefined ? { claimIdleMs: opts.claimIdleMs } : {}),
        snapshot: (id) => store.snapshot(id), store: (cases) => archive.store(cases), log: silentLogger(),
        blockMs: 200,
      });
      feeders.push({ feeder, redis: own });
      return feeder;
    },
    caughtUp: (redis) => archiveCaughtUp(redis),
    stopFeeders,
    async dispose() {
      await stopFeeders();
      await archive.close();
      await postgres.dispose();
    },
  };
}
