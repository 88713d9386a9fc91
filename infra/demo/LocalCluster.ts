import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Closers } from '@rvw/signaling/app/Closers';
import { createCoreServices } from '@rvw/signaling/app/coreServices';
import { seedDemo, seedDemoCatalogAt } from '@rvw/signaling/app/seedDemo';
import { NodeRegistry, type NodeInfo } from '@rvw/signaling/cluster/NodeRegistry';
import { loadConfig } from '@rvw/signaling/config';
import { silentLogger } from '@rvw/signaling/observability/logger';
import { connectRedisTarget, type RedisClient } from '@rvw/signaling/store/redisClient';
import { ensureDevPki } from '../pki/ensureDevPki.js';
import { PostgresServer } from '../postgres/PostgresServer.js';
import { RedisSentinelSet } from '../redis/RedisSentinelSet.js';

/** One node of the local cluster. */
export interface LocalNodeSpec {
  /** RVW_NODE_ID, e.g. `wj`. */
  id: string;
  /** Region codes it serves (RVW_NODE_REGIONS). */
  regions: string[];
  /** Its HTTP port. */
  port: number;
  /** Its RTC port range (two processes on one host get ranges of their own). */
  rtcPorts: [number, number];
}

/** Options of {@link LocalCluster.start}. */
export interface LocalClusterOptions {
  /** Everything lives here: Redis files (`redis/`), PostgreSQL (`postgres/`), PKI, blobs, the cluster secret. */
  dataDir: string;
  nodes: LocalNodeSpec[];
  /** Fixed Redis ports (a persistent cluster); free ones when absent. */
  redisPorts?: { primary: number; replicas: [number, number]; sentinels: [number, number, number] };
  /** The PostgreSQL port (the case archive); a free one when absent. */
  postgresPort?: number;
  /** The sentinels' down-after-milliseconds. */
  downAfterMs?: number;
  /** The nodes' RVW_LOG_LEVEL (default `warn`). */
  logLevel?: string;
  /** The built pages the nodes serve (default web-client/dist). */
  webRoot?: string;
  /** Extra environment for every node (tests shorten heartbeats). */
  env?: Record<string, string>;
}

/** A node process of the cluster. */
export interface LocalNode extends LocalNodeSpec {
  /** http://localhost:PORT */
  url: string;
  child: ChildProcess;
  /** Its stdout and stderr so far. */
  log: () => string;
}

/** What a person opens: the first administrator's invite, counter activations, each node's sign-in page. */
export interface ClusterLinks {
  bootstrapUrl?: string;
  counterActivations: { label: string; nodeId: string; url: string }[];
  clerkLogins: { nodeId: string; url: string }[];
}

// The production entry, from the source (tests) or from infra/dist (start-cluster.sh).
const MAIN = fileURLToPath(new URL(`${import.meta.url.includes('/infra/dist/') ? '../../..' : '../..'}/signaling/dist/main.js`, import.meta.url));

/**
 * A two-region cluster on one machine, the way production runs it: a Redis Sentinel set
 * (primary, two replicas, three sentinels; AOF always, one password), one PostgreSQL shared by
 * the nodes (the case archive, RVW_ARCHIVE_URL) and one node process per region on the production entry (`node signaling/dist/main.js`), sharing the cluster secret.
 * Demo data is seeded once with the single-node demo's own steps (seedDemoCatalogAt, seedDemo).
 */
export class LocalCluster {
  private constructor(
    readonly redis: RedisSentinelSet,
    readonly postgres: PostgresServer,
    readonly nodes: LocalNode[],
    readonly links: ClusterLinks,
    readonly dataDir: string,
  ) {}

  static async start(options: LocalClusterOptions): Promise<LocalCluster> {
    const dataDir = path.resolve(options.dataDir);
    await mkdir(dataDir, { recursive: true });
    const redisDir = path.join(dataDir, 'redis');
    const password = await persistentSecret(path.join(dataDir, 'redis-password'));
    const secret = await persistentSecret(path.join(dataDir, 'cluster-secret'));
    const redis = await RedisSentinelSet.start({
      dataDir: redisDir,
      password,
      downAfterMs: options.downAfterMs ?? 2000,
      ...(options.redisPorts ? { ports: options.redisPorts } : {}),
    });
    let postgres: PostgresServer;
    try {
      postgres = await PostgresServer.start({
        dataDir: path.join(dataDir, 'postgres'),
        ...(options.postgresPort ? { port: options.postgresPort } : {}),
      });
    } catch (e) {
      await redis.stop();
      throw e;
    }
    const nodes: LocalNode[] = [];
    try {
      // The catalogue decides which regions need signing keys, so it is seeded before the nodes start.
      const regions = await seedDemoCatalogAt(`redis://:${password}@127.0.0.1:${await redis.primaryPort()}`);
      const pkiDir = path.join(dataDir, 'pki');
      await ensureDevPki({ pkiDir, regions: regions.map((r) => ({ code: r.code, name: r.name })) });
      const env = (spec: LocalNodeSpec): Record<string, string> => ({
        RVW_HTTP_PORT: String(spec.port),
        RVW_REDIS_SENTINELS: redis.sentinels.map((s) => `${s.host}:${s.port}`).join(','),
        RVW_REDIS_SENTINEL_NAME: redis.name,
        RVW_REDIS_PASSWORD: password,
        RVW_ARCHIVE_URL: postgres.url,
        RVW_DATA_DIR: dataDir,
        RVW_PKI_DIR: pkiDir,
        RVW_LOG_LEVEL: options.logLevel ?? 'warn',
        RVW_SFU_WORKERS: '1',
        RVW_RTC_MIN_PORT: String(spec.rtcPorts[0]),
        RVW_RTC_MAX_PORT: String(spec.rtcPorts[1]),
        RVW_NODE_ID: spec.id,
        RVW_NODE_REGIONS: spec.regions.join(','),
        RVW_CLUSTER_SECRET: secret,
        ...(options.webRoot ? { RVW_WEB_ROOT: options.webRoot } : {}),
        ...options.env,
      });
      for (const spec of options.nodes) nodes.push(spawnNode(spec, env(spec)));
      const links = await seedLinks(nodes, env(options.nodes[0]!));
      const cluster = new LocalCluster(redis, postgres, nodes, links, dataDir);
      await cluster.waitRegistered(60_000);
      return cluster;
    } catch (e) {
      await stopNodes(nodes);
      await redis.stop();
      await postgres.stop();
      throw new Error(`${(e as Error).message}\n${nodes.map((n) => `--- ${n.id}\n${n.log()}`).join('\n')}`);
    }
  }

  /** A client on the cluster's Redis through the sentinels (the caller quits it). */
  async client(): Promise<RedisClient> {
    const { redis } = await connectRedisTarget(
      { sentinel: { name: this.redis.name, sentinels: this.redis.sentinels, password: this.redis.password } },
      { replicas: 0, timeoutMs: 1000 },
    );
    return redis;
  }

  /** The nodes in the registry now. */
  async registered(): Promise<NodeInfo[]> {
    const redis = await this.client();
    try {
      return await new NodeRegistry({ redis, heartbeatMs: 1000, ttlMs: 1000 }).list();
    } finally {
      await redis.quit().catch(() => undefined);
    }
  }

  /** Resolves when every node is in the registry and answers HTTP; throws with the nodes' logs. */
  async waitRegistered(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const dead = this.nodes.find((n) => n.child.exitCode !== null || n.child.signalCode !== null);
      if (dead) throw new Error(`node ${dead.id} exited (${dead.child.exitCode ?? dead.child.signalCode})`);
      const ids = new Set((await this.registered().catch(() => [])).map((n) => n.nodeId));
      const serving = await Promise.all(this.nodes.map((n) => fetch(`${n.url}/login.html`).then((r) => r.ok, () => false)));
      if (this.nodes.every((n, i) => ids.has(n.id) && serving[i])) return;
      if (Date.now() > deadline) throw new Error(`nodes not up within ${timeoutMs} ms (registered: ${[...ids].join(',') || 'none'})`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** The lines a person reads: where each node is, what to open first. */
  describe(): string {
    const l = this.links;
    return [
      '跨域通办远程虚拟窗口 — local two-region cluster (Redis Sentinel + PostgreSQL + one node process per region)',
      ...this.nodes.map((n) => `  node ${n.id.padEnd(4)} ${n.url}/   regions ${n.regions.join(',')}   (pid ${n.child.pid})`),
      `  redis:               sentinels ${this.redis.sentinels.map((s) => s.port).join(',')}, primary ${this.redis.name}, data ${displayPath(this.redis.dataDir)}`,
      `  postgresql:          127.0.0.1:${this.postgres.port}, database rvw, data ${displayPath(this.postgres.dataDir)}`,
      l.bootstrapUrl ? `  first administrator: ${l.bootstrapUrl}` : '  first administrator: already enrolled (sign in at /login.html)',
      ...l.counterActivations.map((c) => `  counter terminal:    ${c.url}   (${c.label}, node ${c.nodeId})`),
      ...l.clerkLogins.map((c) => `  clerk sign-in:       ${c.url}   (node ${c.nodeId})`),
    ].join('\n');
  }

  /** SIGTERM to every node (SIGKILL after 10 s), then the Redis set and PostgreSQL; resolves when all exited. */
  async stop(): Promise<void> {
    await stopNodes(this.nodes);
    await this.redis.stop();
    await this.postgres.stop();
  }
}

/** `dir` relative to the working directory when it is below it, else absolute. */
function displayPath(dir: string): string {
  const relative = path.relative(process.cwd(), dir);
  return relative && !relative.startsWith('..') ? relative : dir;
}

/** A secret kept in a 0600 file under the data directory, so a restart finds the same one. */
async function persistentSecret(file: string): Promise<string> {
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing?.trim()) return existing.trim();
  const value = randomBytes(24).toString('hex');
  await writeFile(file, `${value}\n`, { mode: 0o600 });
  return value;
}

function spawnNode(spec: LocalNodeSpec, env: Record<string, string>): LocalNode {
  let log = '';
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  return { ...spec, url: `http://localhost:${spec.port}`, child, log: () => log };
}

/**
 * The single-node demo's seeding (bootstrap invite, counter registrations) run once against the
 * cluster's Redis with the first node's configuration; each counter's activation link is then
 * pointed at the node serving its hall's region (the token lives in Redis, valid on every node).
 */
async function seedLinks(nodes: LocalNode[], firstEnv: Record<string, string>): Promise<ClusterLinks> {
  const config = loadConfig(firstEnv);
  const closers = new Closers();
  try {
    const core = await createCoreServices({ config, redisUrl: undefined, logger: silentLogger(), clock: () => new Date(), enforceServiceHours: false, closers });
    const demo = await seedDemo(core);
    const first = nodes[0]!;
    const counterActivations = [];
    for (const c of demo.counterActivations) {
      const node = nodes.find((n) => n.regions.includes(c.regionCode) || n.regions.includes('*')) ?? first;
      counterActivations.push({ label: c.label, nodeId: node.id, url: `${node.url}/counter.html${new URL(c.url).hash}` });
    }
    return {
      ...(demo.bootstrapUrl ? { bootstrapUrl: demo.bootstrapUrl } : {}),
      counterActivations,
      clerkLogins: nodes.map((n) => ({ nodeId: n.id, url: `${n.url}/login.html` })),
    };
  } finally {
    await closers.runAll();
  }
}

async function stopNodes(nodes: LocalNode[]): Promise<void> {
  await Promise.all(
    nodes.map(async (n) => {
      if (n.child.exitCode !== null || n.child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => n.child.once('exit', () => resolve()));
      n.child.kill('SIGTERM');
      const timer = setTimeout(() => n.child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }),
  );
}
