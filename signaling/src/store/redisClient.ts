import { createClient, createSentinel } from 'redis';

function makeClient(url: string) {
  return createClient({
    url,
    socket: {
      // Reconnect quickly: a restarted redis-server (AOF replay) is back within a second or two.
      reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 1000),
    },
  });
}

/** The node-redis client type used across the store layer. */
export type RedisClient = ReturnType<typeof makeClient>;

/** Connects a node-redis client; callers own it and must `quit()`/`destroy()` it. */
export async function connectRedis(url: string): Promise<RedisClient> {
  const client = makeClient(url);
  // Connection errors are retried by the reconnect strategy; without a listener node-redis would throw.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Where the node finds its Redis primary through Sentinel. */
export interface RedisSentinelOptions {
  /** The name the sentinels monitor the primary under (RVW_REDIS_SENTINEL_NAME). */
  name: string;
  /** Sentinel addresses (RVW_REDIS_SENTINELS=host:port,…). */
  sentinels: { host: string; port: number }[];
  /** The data nodes' password (RVW_REDIS_PASSWORD); the sentinels themselves take none. */
  password?: string;
}

function makeSentinel(options: RedisSentinelOptions) {
  return createSentinel({
    name: options.name,
    sentinelRootNodes: options.sentinels,
    nodeClientOptions: {
      ...(options.password ? { password: options.password } : {}),
      socket: { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000) },
    },
  });
}

/** The Sentinel-aware client: it follows the primary the sentinels elect after a failover. */
export type RedisSentinelClient = ReturnType<typeof makeSentinel>;

/**
 * Connects through Sentinel. Not yet a drop-in for {@link RedisClient}: WATCH needs a leased
 * connection (`client.use`) and pub/sub its own subscriber, so the store and bus still take
 * a URL client (see docs/redis-sentinel.md).
 */
export async function connectRedisSentinel(options: RedisSentinelOptions): Promise<RedisSentinelClient> {
  const client = makeSentinel(options);
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Parses `host:port,host:port` (RVW_REDIS_SENTINELS). */
export function parseSentinels(list: string): { host: string; port: number }[] {
  return list.split(',').map((entry) => {
    const [host, port] = entry.trim().split(':');
    if (!host || !port || !Number.isInteger(Number(port))) throw new Error(`bad sentinel address: ${entry}`);
    return { host, port: Number(port) };
  });
}
