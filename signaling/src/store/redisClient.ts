import type { EventEmitter } from 'node:events';
import { createClient, createSentinel, type RedisDefaultModules } from 'redis';
import { ReplicaAck } from './ReplicaAck.js';

function makeClient(url: string) {
  return createClient({
    url,
    socket: {
      // Reconnect quickly: a restarted redis-server (AOF replay) is back within a second or two.
      reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 1000),
    },
  });
}

/** A node-redis client on one server URL, with its whole API (tools and tests). */
export type RedisUrlClient = ReturnType<typeof makeClient>;

/** Where the node finds its Redis primary through Sentinel. */
export interface RedisSentinelOptions {
  /** The name the sentinels monitor the primary under (RVW_REDIS_SENTINEL_NAME). */
  name: string;
  /** Sentinel addresses (RVW_REDIS_SENTINELS=host:port,…). */
  sentinels: { host: string; port: number }[];
  /** The data nodes' password (RVW_REDIS_PASSWORD); the sentinels themselves take none. */
  password?: string;
}

function makeSentinel(options: RedisSentinelOptions, masterPoolSize: number) {
  return createSentinel({
    name: options.name,
    sentinelRootNodes: options.sentinels,
    masterPoolSize,
    nodeClientOptions: {
      ...(options.password ? { password: options.password } : {}),
      socket: { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000) },
    },
  });
}

/** The raw Sentinel-aware client (follows the primary the sentinels elect after a failover). */
export type RedisSentinelClient = ReturnType<typeof makeSentinel>;

// What both a URL client and a Sentinel client offer with the same signatures: every command.
// Left out: what differs between them (sendCommand takes an isReadonly flag on Sentinel,
// unsubscribe's listener types, internals) and what RedisClient declares itself below.
type OwnMembers =
  | 'sendCommand' | 'duplicate' | 'connect' | 'multi' | 'MULTI' | 'withTypeMapping' | 'withCommandOptions' | 'scanIterator'
  | 'UNSUBSCRIBE' | 'unsubscribe' | 'PUNSUBSCRIBE' | 'pUnsubscribe' | 'SUNSUBSCRIBE' | 'sUnsubscribe';
type SharedMembers = Exclude<
  keyof RedisUrlClient & keyof RedisSentinelClient,
  OwnMembers | keyof EventEmitter | keyof RedisDefaultModules | `_${string}`
>;
type RedisMulti = ReturnType<ReturnType<RedisUrlClient['duplicate']>['multi']>;

/**
 * The one Redis type the node's code uses, whatever the deployment: a URL client
 * ({@link connectRedis}) and the Sentinel client ({@link connectRedisTarget}) both are one.
 * Every command, MULTI (queued, no WATCH: a Sentinel client may run each command on another
 * pooled connection; the stores use Lua scripts for compare-and-set), pub/sub on a
 * {@link duplicate}. Not in it: raw `sendCommand` (its signature differs) — a command that must
 * run on one connection with the next (WAIT after a write) goes through {@link ReplicaAck}.
 */
export interface RedisClient extends Pick<RedisUrlClient, SharedMembers> {
  multi(): RedisMulti;
  connect(): Promise<unknown>;
  /** A new client of the same deployment (for a subscriber); the caller connects and closes it. */
  duplicate(): RedisClient;
  quit(): Promise<unknown>;
  on(event: 'error', listener: (err: Error) => void): unknown;
  /** Keys matching a pattern, a page at a time (tools and tests; the stores keep indexes instead). */
  scanIterator(options?: { MATCH?: string; COUNT?: number; TYPE?: string }): AsyncIterable<string[]>;
}

type SentinelLease = Parameters<Parameters<RedisSentinelClient['use']>[0]>[0];

/** The commands of one connection (a leased Sentinel connection is one too): for a write and its WAIT. */
export type RedisConnection = Pick<RedisClient, SharedMembers & keyof SentinelLease>;

/** Connects a node-redis client; callers own it and must `quit()`/`destroy()` it. */
export async function connectRedis(url: string): Promise<RedisUrlClient> {
  const client = makeClient(url);
  // Connection errors are retried by the reconnect strategy; without a listener node-redis would throw.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/**
 * Connects through Sentinel, raw (tests that lease connections themselves). The node uses
 * {@link connectRedisTarget}, which gives the same client as a {@link RedisClient}.
 */
export async function connectRedisSentinel(options: RedisSentinelOptions, masterPoolSize = 1): Promise<RedisSentinelClient> {
  const client = makeSentinel(options, masterPoolSize);
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** How a node reaches Redis: one server by URL, or the primary that Sentinel elects. */
export type RedisTarget = { url: string } | { sentinel: RedisSentinelOptions };

/** A connected deployment: the client every store uses and how a case commit waits for replicas. */
export interface RedisDeployment {
  redis: RedisClient;
  replicaAck: ReplicaAck;
}

/**
 * Connects to `target`. `ack.replicas` > 0 makes case commits wait (WAIT) until that many
 * replicas hold them (docs/redis-sentinel.md); 0 acknowledges on the primary's reply.
 */
export async function connectRedisTarget(target: RedisTarget, ack: { replicas: number; timeoutMs: number }): Promise<RedisDeployment> {
  if ('url' in target) {
    const redis = await connectRedis(target.url);
    if (ack.replicas === 0) return { redis, replicaAck: ReplicaAck.none() };
    // A connection of its own for acknowledged writes: WAIT blocks the connection it runs on.
    const writer = await connectRedis(target.url);
    return {
      redis: withQuit(redis, () => writer.quit()),
      replicaAck: ReplicaAck.create({
        ...ack,
        lease: (fn) => fn(writer, (n, ms) => writer.sendCommand<number>(['WAIT', String(n), String(ms)])),
      }),
    };
  }
  const sentinel = await connectRedisSentinel(target.sentinel);
  if (ack.replicas === 0) return { redis: sentinelAsClient(sentinel), replicaAck: ReplicaAck.none() };
  // Acknowledged writes and their WAITs on a Sentinel client of their own with one primary
  // connection: WAIT counts the writes of the connection it runs on and blocks it meanwhile.
  // (Not sentinel.use(): it builds a client object per lease, 25–95 ms on the loaded test box.)
  const writer = sentinel.duplicate({ masterPoolSize: 1 });
  writer.on('error', () => undefined);
  await writer.connect();
  const connection: RedisConnection = sentinelAsClient(writer);
  const redis = sentinelAsClient(sentinel);
  const quit = redis.quit.bind(redis);
  return {
    redis: Object.assign(redis, { quit: () => Promise.all([quit(), writer.close().catch(() => undefined)]) }),
    replicaAck: ReplicaAck.create({
      ...ack,
      lease: (fn) => {
        const primary = primaryOf(writer);
        return fn(connection, async (n, ms) => {
          const confirmed = await writer.sendCommand<number>(false, ['WAIT', String(n), String(ms)]);
          // After a reconnect node-redis re-sends the WAIT to the new primary, which has none of
          // this write to wait for: a WAIT answered by another primary than the write's confirms nothing.
          return primaryOf(writer) === primary ? confirmed : 0;
        });
      },
    }),
  };
}

/** Where the Sentinel client's primary is now (`host:port`). */
function primaryOf(client: RedisSentinelClient): string {
  const node = client.getMasterNode();
  return node ? `${node.host}:${node.port}` : '';
}

/** The Sentinel client as a {@link RedisClient}: `quit` is its `close`, duplicates are adapted too. */
function sentinelAsClient(sentinel: RedisSentinelClient): RedisClient {
  // Taken before the override below replaces it on the instance.
  const duplicate = sentinel.duplicate.bind(sentinel);
  return Object.assign(sentinel, {
    quit: () => sentinel.close(),
    // A duplicate serves pub/sub, which the Sentinel client runs on a connection of its own.
    duplicate: (): RedisClient => sentinelAsClient(duplicate({ masterPoolSize: 1 })),
  });
}

/** `client` whose quit also closes `also` (the acknowledged-write connection). */
function withQuit(client: RedisUrlClient, also: () => Promise<unknown>): RedisUrlClient {
  const quit = client.quit.bind(client);
  return Object.assign(client, { quit: async () => Promise.all([quit(), also().catch(() => undefined)]).then(([r]) => r) });
}
