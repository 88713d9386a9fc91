import { SessionRegistry, WorkerPool } from '@rvw/sfu';
import { authorize, authorizeWithReason, mediaOpenIn } from '../auth/policy.js';
import { CallService } from '../calls/CallService.js';
import type { CaseService } from '../cases/CaseService.js';
import type { Config } from '../config.js';
import { AppError } from '../errors/AppError.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/Metrics.js';
import { caseFacts } from '../cases/caseFacts.js';
import type { RedisClient } from '../store/redisClient.js';
import type { Hub } from '../ws/Hub.js';
import type { Closers } from './Closers.js';
import { createClusterWiring, type ClusterWiring } from './clusterWiring.js';
import { turnCredentials } from './turnCredentials.js';

/** Options for {@link createMediaWiring}. */
export interface MediaWiringOptions {
  config: Readonly<Config>;
  logger: Logger;
  clock: () => Date;
  metrics: Metrics;
  /** A worker pool to share (tests); one is created from config.sfu when omitted (and closed with the node). */
  pool?: WorkerPool;
  cases: Pick<CaseService, 'getCase'>;
  hub: Hub;
  /** The node's Redis: the cluster registry and the node bus use it. */
  redis: RedisClient;
  closers: Closers;
}

/** The SFU of a node and the calls over it. */
export interface MediaWiring {
  pool: WorkerPool;
  registry: SessionRegistry;
  calls: CallService;
  /** This node among the others: registry entry, node bus, calls' routers joined across nodes. */
  cluster: ClusterWiring;
}

/** Starts (or shares) the mediasoup workers, the session registry and the call service. */
export async function createMediaWiring(opts: MediaWiringOptions): Promise<MediaWiring> {
  const { config, logger, clock, metrics, cases, hub, closers } = opts;
  const pool = opts.pool ?? (await WorkerPool.create({ numWorkers: config.sfu.numWorkers }));
  if (!opts.pool) closers.add(() => pool.close());
  pool.on('workerdied', () => metrics.sfuWorkerDeaths.inc());
  const registry = new SessionRegistry(pool, {
    listenIp: config.rtc.listenIp,
    announcedAddress: config.rtc.announcedAddress,
    minPort: config.rtc.minPort,
    maxPort: config.rtc.maxPort,
    maxIncomingBitrate: 6_000_000,
    limits: {
      transportsPerPeer: config.budgets.transportsPerPeer,
      producersPerPeer: config.budgets.producersPerPeer,
      transportsPerSession: config.budgets.transportsPerSession,
    },
  });
  closers.addFirst(() => registry.closeAll());
  const calls = new CallService({
    registry,
    hub,
    peerGraceMs: config.peerGraceMs,
    transportsPerPrincipal: config.budgets.transportsPerPrincipal,
    logger,
    iceServers: (p) => turnCredentials(config.rtc, p, clock),
    authorizeJoin: async (principal, sessionId, action = 'session.join') => {
      const record = await cases.getCase(sessionId);
      authorize(principal, 'session.join', { case: caseFacts(record) });
      // Which states let each side in is the policy's (the counter's call may wait in the queue).
      if (!mediaOpenIn(principal, record.state)) {
        throw new AppError('SESSION_NOT_ACTIVE', `办件当前状态为 ${record.state}，不能进入视频通话`, 409);
      }
      // Linking a desk into the call: the holding clerk only (the counter is told so in words).
      if (action === 'desk.link') authorizeWithReason(principal, 'desk.link', { case: caseFacts(record) });
      return principal.kind === 'counter' ? 'counter' : 'clerk';
    },
    authorizeDesk: (principal) => {
      authorize(principal, 'desk.join', {});
      return principal.kind === 'staff' ? principal.staffId : '';
    },
  });
  closers.addFirst(() => calls.close());
  const cluster = await createClusterWiring({ config, redis: opts.redis, logger, pool, registry, calls, closers });
  metrics.countPipeTracksWith(async () => {
    const byNode = new Map<string, { node: string; in: number; out: number }>();
    for (const session of registry.all()) {
      for (const node of cluster.mesh.peersOf(session.id)) {
        const pipe = await cluster.mesh.pipeTo(session.id, node);
        if (!pipe || pipe.closed) continue;
        const d = await pipe.dump().catch(() => undefined);
        if (!d) continue;
        const c = byNode.get(node) ?? { node, in: 0, out: 0 };
        c.in += d.producerIds.length;
        c.out += d.consumerIds.length;
        byNode.set(node, c);
      }
    }
    return [...byNode.values()];
  });
  return { pool, registry, calls, cluster };
}
