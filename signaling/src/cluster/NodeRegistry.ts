import { z } from 'zod';
import type { RedisClient } from '../store/redisClient.js';

/** Ids of registered nodes, scored by when their entry expires (ms since the epoch). */
export const NODES_KEY = 'rvw:nodes';
/** One node's entry; it expires with the node's TTL, so a node that stops heartbeating is gone. */
export const nodeKey = (nodeId: string): string => `rvw:node:${nodeId}`;
/**
 * The HTTP origins nodes have served from (field: origin; value: regions and when last seen). Kept
 * past a node's death, unlike its entry: the pages a dead node served still carry its origin
 * when their clients move to another node of the region (see {@link NodeRegistry.origins}).
 */
export const NODE_ORIGINS_KEY = 'rvw:node-origins';

/** What a node says about itself in the registry. */
export const NodeInfo = z.strictObject({
  nodeId: z.string(),
  /** Region codes served; `*` serves every region. */
  regions: z.array(z.string()),
  /** Where the node's inter-node media pipes are reached (the address only: ports are per pipe). */
  pipeAddress: z.string(),
  /** The node's HTTP origin (pages tell clients which nodes serve their region). */
  origin: z.string(),
  /** Live media sessions and mediasoup workers: what a placement decision weighs. */
  load: z.strictObject({ sessions: z.number().int().min(0), workers: z.number().int().min(0) }),
  /** When this entry was written (ms since the epoch). */
  seenAt: z.number(),
});
export type NodeInfo = z.infer<typeof NodeInfo>;

const RememberedOrigin = z.strictObject({ regions: z.array(z.string()), seenAt: z.number() });

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** Options for {@link NodeRegistry}. */
export interface NodeRegistryOptions {
  redis: RedisClient;
  /** How often the node renews its entry. */
  heartbeatMs: number;
  /** How long an entry lives without renewal. */
  ttlMs: number;
  clock?: () => number;
}

/**
 * The nodes of a cluster sharing one Redis: each registers itself with a heartbeat (regions, pipe
 * address, load) and is gone `ttlMs` after its last one. The entry is a key with a TTL (Redis
 * forgets it) plus an index scored by expiry, pruned on read, so listing never scans the keyspace.
 */
export class NodeRegistry {
  readonly #o: NodeRegistryOptions;
  readonly #clock: () => number;
  #timer: NodeJS.Timeout | undefined;
  #self: (() => Omit<NodeInfo, 'seenAt'>) | undefined;

  constructor(options: NodeRegistryOptions) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
  }

  /** Registers this node now and keeps renewing its entry every heartbeat (`describe` is read each time). */
  async start(describe: () => Omit<NodeInfo, 'seenAt'>): Promise<void> {
    this.#self = describe;
    await this.heartbeat();
    this.#timer = setInterval(() => void this.heartbeat().catch(() => undefined), this.#o.heartbeatMs);
    this.#timer.unref();
  }

  /** Writes this node's entry once (the timer calls it; tests call it to control time). */
  async heartbeat(): Promise<void> {
    if (!this.#self) return;
    const now = this.#clock();
    const info: NodeInfo = { ...this.#self(), seenAt: now };
    await this.#o.redis
      .multi()
      .set(nodeKey(info.nodeId), JSON.stringify(info), { PX: this.#o.ttlMs })
      .zAdd(NODES_KEY, { score: now + this.#o.ttlMs, value: info.nodeId })
      .hSet(NODE_ORIGINS_KEY, info.origin, JSON.stringify({ regions: info.regions, seenAt: now }))
      .exec();
  }

  /** Stops heartbeating; with `deregister`, removes the entry at once (a clean shutdown). */
  async stop(options: { deregister?: boolean } = {}): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    const self = this.#self?.();
    this.#self = undefined;
    if (options.deregister && self) await this.#o.redis.multi().del(nodeKey(self.nodeId)).zRem(NODES_KEY, self.nodeId).exec();
  }

  /** Every live node, by id. */
  async list(): Promise<NodeInfo[]> {
    const redis = this.#o.redis;
    await redis.zRemRangeByScore(NODES_KEY, '-inf', this.#clock());
    const ids = await redis.zRange(NODES_KEY, 0, -1);
    if (!ids.length) return [];
    const raw = await redis.mGet(ids.map(nodeKey));
    const out: NodeInfo[] = [];
    for (const r of raw) {
      if (!r) continue;
      const parsed = NodeInfo.safeParse(JSON.parse(r));
      if (parsed.success) out.push(parsed.data);
    }
    return out.sort((a, b) => a.nodeId.localeCompare(b.nodeId));
  }

  /** The live nodes that serve `regionCode` (those serving every region included), least loaded first. */
  async byRegion(regionCode: string): Promise<NodeInfo[]> {
    const nodes = (await this.list()).filter((n) => n.regions.includes('*') || n.regions.includes(regionCode));
    return nodes.sort((a, b) => a.load.sessions - b.load.sessions || a.nodeId.localeCompare(b.nodeId));
  }

  /**
   * The origins of nodes seen within `maxAgeMs` (live or dead since) with the regions they served;
   * older ones are forgotten here. A node trusts its region's pages from these origins (Origin
   * check, CSP), so a page keeps its socket when the node that served it is gone.
   */
  async origins(maxAgeMs: number): Promise<{ origin: string; regions: string[] }[]> {
    const all = await this.#o.redis.hGetAll(NODE_ORIGINS_KEY);
    const since = this.#clock() - maxAgeMs;
    const out: { origin: string; regions: string[] }[] = [];
    const stale: string[] = [];
    for (const [origin, raw] of Object.entries(all)) {
      const parsed = RememberedOrigin.safeParse(safeJson(raw));
      if (parsed.success && parsed.data.seenAt >= since) out.push({ origin, regions: parsed.data.regions });
      else stale.push(origin);
    }
    if (stale.length) await this.#o.redis.hDel(NODE_ORIGINS_KEY, stale);
    return out.sort((a, b) => a.origin.localeCompare(b.origin));
  }

  /** One live node, if registered. */
  async get(nodeId: string): Promise<NodeInfo | undefined> {
    const r = await this.#o.redis.get(nodeKey(nodeId));
    const parsed = r ? NodeInfo.safeParse(JSON.parse(r)) : undefined;
    return parsed?.success ? parsed.data : undefined;
  }
}
