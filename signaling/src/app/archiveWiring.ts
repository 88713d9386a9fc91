import { ArchiveFeeder } from '../archive/ArchiveFeeder.js';
import type { CaseArchive } from '../archive/CaseArchive.js';
import { pruneLiveCases } from '../archive/pruneLiveCases.js';
import type { CaseStore } from '../cases/CaseStore.js';
import type { Config } from '../config.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/Metrics.js';
import type { RedisClient } from '../store/redisClient.js';
import type { Closers } from './Closers.js';

/** Options for {@link wireArchive}. */
export interface ArchiveWiringOptions {
  config: Readonly<Config>;
  archive: CaseArchive;
  redis: RedisClient;
  store: CaseStore;
  nodeId: string;
  clock: () => Date;
  metrics: Metrics;
  logger: Logger;
  closers: Closers;
}

/** A node's hold on the case archive. */
export interface NodeArchive {
  archive: CaseArchive;
  /** Moves the finished cases due now out of Redis (what the timer does every pruneIntervalMs). */
  pruneNow(): Promise<{ moved: number; changed: number }>;
}

/**
 * The node's part in keeping the case archive: its feeder copies case changes from the outbox
 * into PostgreSQL (every node of the region runs one; the consumer group shares the entries out),
 * and every `pruneIntervalMs` it moves finished cases the archive holds out of Redis.
 */
export async function wireArchive(o: ArchiveWiringOptions): Promise<NodeArchive> {
  const { config, archive, store, logger, metrics } = o;
  // The feeder blocks on XREADGROUP: a connection of its own, so the node's commands never wait behind it.
  const feederRedis = o.redis.duplicate();
  feederRedis.on('error', (e: Error) => logger.warn({ err: e.message }, 'archive feeder redis connection error'));
  await feederRedis.connect();
  const feeder = await ArchiveFeeder.start({
    redis: feederRedis,
    consumer: o.nodeId,
    snapshot: (id) => store.snapshot(id),
    store: (cases) => archive.store(cases),
    log: logger,
    onCopied: (n) => metrics.archiveCopied.inc(n),
  });

  // One run at a time: a timer tick during a long run is skipped, a caller waits for the run.
  let pruning: Promise<{ moved: number; changed: number }> | undefined;
  const pruneNow = () => {
    pruning ??= pruneLiveCases({
      leaving: (before, limit) => archive.leaving(before, limit),
      evict: (id, version) => store.evict(id, version),
      markGone: (id, version) => archive.markGone(id, version),
      clock: o.clock,
      keepFinishedMs: config.archive.keepFinishedMs,
    })
      .then((done) => {
        metrics.archiveMoved.inc(done.moved);
        if (done.moved > 0 || done.changed > 0) logger.info(done, 'finished cases moved to the archive');
        return done;
      })
      .finally(() => {
        pruning = undefined;
      });
    return pruning;
  };
  const prune = () => {
    if (!pruning) pruneNow().catch((e: Error) => logger.error({ err: e.message }, 'moving finished cases to the archive failed'));
  };
  const timer = setInterval(prune, config.archive.pruneIntervalMs);
  timer.unref();
  o.closers.addFirst(async () => {
    clearInterval(timer);
    await pruning?.catch(() => undefined);
    await feeder.close();
    await feederRedis.quit().catch(() => undefined);
  });
  return { archive, pruneNow };
}
