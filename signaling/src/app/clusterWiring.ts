import { randomBytes } from 'node:crypto';
import type { SessionRegistry, WorkerPool } from '@rvw/sfu';
import type { RegionNodeWire } from '@rvw/protocol/responses';
import type { CallService } from '../calls/CallService.js';
import { isDeskId } from '../calls/DeskLinks.js';
import { NodeBus } from '../cluster/NodeBus.js';
import { NodeRegistry } from '../cluster/NodeRegistry.js';
import { SessionMesh } from '../cluster/SessionMesh.js';
import type { Config } from '../config.js';
import { wsOriginOf } from '../http/security.js';
import type { Logger } from '../observability/logger.js';
import type { RedisClient } from '../store/redisClient.js';
import type { Closers } from './Closers.js';

/** Options for {@link createClusterWiring}. */
export interface ClusterWiringOptions {
  config: Readonly<Config>;
  redis: RedisClient;
  logger: Logger;
  pool: WorkerPool;
  registry: SessionRegistry;
  calls: Pick<CallService, 'on' | 'end'>;
  closers: Closers;
}

/** A node as a member of its cluster. */
export interface ClusterWiring {
  nodeId: string;
  /** Region codes this node serves (`*`: every region). */
  regions: readonly string[];
  nodes: NodeRegistry;
  bus: NodeBus;
  mesh: SessionMesh;
  /**
   * Origins of the nodes (live, or seen in the last day) sharing a region with this one: their
   * pages' sockets may move here when the node that served them goes (Origin check, CSP).
   * Refreshed every heartbeat; read synchronously at each upgrade and page.
   */
  siblingOrigins(): readonly string[];
  /** The live nodes serving `regionCode`, least loaded first, as clients reach them (WebSocket URL). */
  regionNodes(regionCode: string): Promise<RegionNodeWire[]>;
}

/** How long a node's origin stays trusted by its region's other nodes after it was last seen. */
const ORIGIN_MEMORY_MS = 24 * 3600_000;

/** The WebSocket URL of a node's HTTP origin (`https://a.b` → `wss://a.b/ws`). */
export function wsUrlOf(origin: string): string {
  return `${wsOriginOf(origin)}/ws`;
}

/**
 * Registers the node (id, regions, pipe address, load; heartbeat), opens its signed inbox on the
 * node bus and joins its calls' routers with the other nodes' (SessionMesh). Without
 * RVW_CLUSTER_SECRET the node signs with a secret of its own: alone it works as before, but no
 * other node can pipe to it (said once in the log).
 */
export async function createClusterWiring(opts: ClusterWiringOptions): Promise<ClusterWiring> {
  const { config, redis, logger, pool, registry, calls, closers } = opts;
  const { nodeId, regions, pipe, heartbeatMs, ttlMs } = config.cluster;
  let secret = config.cluster.secret;
  if (!secret) {
    secret = randomBytes(32).toString('hex');
    logger.info({ nodeId }, 'RVW_CLUSTER_SECRET unset: this node takes part in no cross-node call');
  }
  const nodes = new NodeRegistry({ redis, heartbeatMs, ttlMs });
  const bus = await NodeBus.create({ redis, nodeId, secret, logger });
  const mesh = new SessionMesh({
    nodeId,
    sessions: registry,
    nodes,
    bus,
    redis,
    pipe: { listenIp: pipe.listenIp, announcedAddress: pipe.announcedAddress, portRange: { min: config.rtc.minPort, max: config.rtc.maxPort } },
    spans: (sessionId) => !isDeskId(sessionId),
    endCall: (sessionId, reason) => calls.end(sessionId, reason),
    logger,
  });
  calls.on('sessionended', ({ sessionId, reason }) => mesh.endElsewhere(sessionId, reason));
  await nodes.start(() => ({
    nodeId,
    regions,
    pipeAddress: pipe.announcedAddress ?? pipe.listenIp,
    origin: config.http.publicOrigin,
    load: { sessions: registry.size, workers: pool.workers.length },
  }));
  let siblings: readonly string[] = [];
  const shares = (other: readonly string[]) => regions.includes('*') || other.includes('*') || other.some((r) => regions.includes(r));
  const refreshSiblings = async () => {
    siblings = (await nodes.origins(ORIGIN_MEMORY_MS)).filter((o) => o.origin !== config.http.publicOrigin && shares(o.regions)).map((o) => o.origin);
  };
  await refreshSiblings();
  // A node that died without a word: its pipes (and the tracks it sent) go once its entry expires.
  // One that was only stalled and heartbeats again gets its pipes back.
  const sweep = setInterval(() => {
    void refreshSiblings().catch(() => undefined);
    void mesh
      .dropGone()
      .then((gone) => {
        if (gone.length) logger.warn({ gone }, 'pipes to vanished nodes closed');
        return mesh.rejoin();
      })
      .catch(() => undefined);
  }, heartbeatMs);
  sweep.unref();
  // Before the sessions close (their pipes tell the other nodes), and the node leaves the registry.
  closers.addFirst(async () => {
    clearInterval(sweep);
    await mesh.close();
    await nodes.stop({ deregister: true });
    await bus.close();
  });
  return {
    nodeId,
    regions,
    nodes,
    bus,
    mesh,
    siblingOrigins: () => siblings,
    regionNodes: async (regionCode) => (await nodes.byRegion(regionCode)).map((n) => ({ nodeId: n.nodeId, url: wsUrlOf(n.origin) })),
  };
}
