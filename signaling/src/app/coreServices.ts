import { CaseArchive } from '../archive/CaseArchive.js';
import { AuthModule } from '../auth/AuthModule.js';
import { BlobStore } from '../blobs/BlobStore.js';
import { CaseService } from '../cases/CaseService.js';
import { CatalogStore } from '../catalog/CatalogStore.js';
import { NodeFiles } from '../cluster/NodeFiles.js';
import type { Config } from '../config.js';
import type { Logger } from '../observability/logger.js';
import { Metrics } from '../observability/Metrics.js';
import { Notifications } from '../notifications/Notifications.js';
import { EventBus } from '../store/EventBus.js';
import { connectRedisTarget, type RedisClient } from '../store/redisClient.js';
import type { Closers } from './Closers.js';

/** Options for {@link createCoreServices}. */
export interface CoreServicesOptions {
  config: Readonly<Config>;
  /** Redis URL; unused when config.redisSentinel is set (the node then follows the sentinels). */
  redisUrl: string | undefined;
  logger: Logger;
  clock: () => Date;
  enforceServiceHours: boolean;
  closers: Closers;
  /** Where the other nodes reach this one for files (known once the node listens); default: RVW_INTERNAL_ORIGIN, else the public origin. */
  internalOrigin?: () => string;
}

/** The stores and services every other part of a node is built on. */
export interface CoreServices {
  redis: RedisClient;
  metrics: Metrics;
  catalog: CatalogStore;
  blobs: BlobStore;
  /** Files across the cluster's nodes; undefined without a cluster secret (one node, one disk). */
  files: NodeFiles | undefined;
  bus: EventBus;
  /** Where every notification is published, with its route, to the sockets of every node. */
  notifications: Notifications;
  cases: CaseService;
  auth: AuthModule;
  /** The case archive (PostgreSQL); undefined without RVW_ARCHIVE_URL. */
  archive: CaseArchive | undefined;
}

/** Connects Redis (and the case archive, if configured) and builds the catalogue, blobs, event bus, case service and sign-in. */
export async function createCoreServices(opts: CoreServicesOptions): Promise<CoreServices> {
  const { config, logger, clock, closers } = opts;
  const target = config.redisSentinel ? { sentinel: config.redisSentinel } : opts.redisUrl ? { url: opts.redisUrl } : undefined;
  if (!target) throw new Error('no Redis configured: RVW_REDIS_URL or RVW_REDIS_SENTINELS');
  const { redis, replicaAck } = await connectRedisTarget(target, config.redisReplicaAck);
  logger.info({ redis: 'url' in target ? 'url' : 'sentinel', replicasPerCommit: replicaAck.replicas }, 'redis connected');
  closers.add(() => redis.quit().then(() => undefined, () => undefined));
  const metrics = new Metrics();

  const catalog = await CatalogStore.create({ redis });
  const { nodeId, secret } = config.cluster;
  const files = secret ? new NodeFiles({ redis, nodeId, secret, origin: opts.internalOrigin ?? (() => config.cluster.internalOrigin ?? config.http.publicOrigin), logger }) : undefined;
  const blobs = await BlobStore.create({ dataDir: config.dataDir, ...(files ? { remote: files } : {}) });
  const bus = await EventBus.create({ redis, logger });
  closers.add(() => bus.close());
  const notifications = new Notifications({ send: bus.publish });
  const archive = config.archive.url ? await CaseArchive.connect({ url: config.archive.url }) : undefined;
  if (archive) {
    logger.info({ keepFinishedDays: config.archive.keepFinishedMs / 86_400_000 }, 'case archive connected');
    closers.add(() => archive.close());
  }
  const cases = await CaseService.create({
    ...(archive ? { archive } : {}), redis, replicaAck, catalog, blobs, publish: notifications.publishCase, clock, enforceServiceHours: opts.enforceServiceHours, log: logger, budgets: config.budgets,
    ...(config.recording.enabled ? { recording: { retentionDays: config.recording.retentionDays } } : {}),
  });
  const auth = await AuthModule.create({
    redis,
    config,
    logger,
    getHall: async (id) => {
      const hall = await catalog.get('hall', id);
      return hall ? { id: hall.id, regionCode: hall.regionCode, name: hall.name } : undefined;
    },
    nameOf: async (kind, code) => (await catalog.get(kind, code))?.name,
  });
  closers.add(() => auth.close());
  return { redis, metrics, catalog, blobs, files, bus, notifications, cases, auth, archive };
}
