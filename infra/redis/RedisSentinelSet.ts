import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { connectRedis, type RedisClient } from '@rvw/signaling/store/redisClient';
import { freePort } from './freePort.js';

/** Options for {@link RedisSentinelSet.start}. */
export interface RedisSentinelSetOptions {
  /** Directory for every process's config, AOF and log; created if missing. */
  dataDir: string;
  /** The name the sentinels monitor the primary under. */
  name?: string;
  /** How long a primary must be silent before sentinels call it down (ms). */
  downAfterMs?: number;
  /** The data nodes' password; generated when absent (a persistent set passes the one it stored). */
  password?: string;
  /**
   * Fixed ports (free ones when absent). Each process keeps its files in `<role>-<port>` under
   * `dataDir`, so the same ports at the next start find the same AOF files.
   */
  ports?: { primary: number; replicas: [number, number]; sentinels: [number, number, number] };
}

/** One process of the set. */
interface Member {
  role: 'primary' | 'replica' | 'sentinel';
  port: number;
  child: ChildProcess;
}

/**
 * A primary and two replicas (redis-server, AOF always, one generated password, loopback only)
 * watched by three sentinels (`redis-server --sentinel`, quorum 2) — the smallest set where the
 * loss of the primary is decided by a majority. Used by tests that kill the primary.
 */
export class RedisSentinelSet {
  readonly #members: Member[] = [];

  private constructor(
    readonly dataDir: string,
    readonly name: string,
    readonly password: string,
  ) {}

  static async start(options: RedisSentinelSetOptions): Promise<RedisSentinelSet> {
    const set = new RedisSentinelSet(options.dataDir, options.name ?? 'rvw', options.password ?? randomBytes(24).toString('hex'));
    await mkdir(options.dataDir, { recursive: true });
    const ports = options.ports;
    try {
      const primaryPort = ports?.primary ?? (await freePort());
      await set.#startData('primary', primaryPort);
      // Two replicas: after a failover the new primary still has one, so WAIT 1 can succeed.
      await set.#startData('replica', ports?.replicas[0] ?? (await freePort()), primaryPort);
      await set.#startData('replica', ports?.replicas[1] ?? (await freePort()), primaryPort);
      await set.#waitReplicated(primaryPort);
      for (let i = 0; i < 3; i++) await set.#startSentinel(ports?.sentinels[i] ?? (await freePort()), primaryPort, options.downAfterMs ?? 1000);
    } catch (e) {
      // A half-started set would leave redis-servers running after the caller gave up.
      await set.stop();
      throw e;
    }
    return set;
  }

  /** The data processes' and sentinels' process ids (to check none is left after a stop). */
  get pids(): number[] {
    return this.#members.flatMap((m) => (m.child.pid === undefined ? [] : [m.child.pid]));
  }

  /** The sentinels' addresses, as a client's root nodes. */
  get sentinels(): { host: string; port: number }[] {
    return this.#members.filter((m) => m.role === 'sentinel').map((m) => ({ host: '127.0.0.1', port: m.port }));
  }

  /** Asks a sentinel which port the current primary listens on. */
  async primaryPort(): Promise<number> {
    const client = await connectRedis(`redis://127.0.0.1:${this.sentinels[0]!.port}`);
    try {
      const reply = (await client.sendCommand(['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name])) as string[];
      return Number(reply[1]);
    } finally {
      client.destroy();
    }
  }

  /** Ports of the data processes still running, other than the current primary's. */
  async replicaPorts(): Promise<number[]> {
    const primary = await this.primaryPort();
    return this.#members
      .filter((m) => m.role !== 'sentinel' && m.port !== primary && m.child.exitCode === null && m.child.signalCode === null)
      .map((m) => m.port);
  }

  /** A plain client on one data port (for reading what survived). */
  async dataClient(port: number): Promise<RedisClient> {
    return connectRedis(`redis://:${this.password}@127.0.0.1:${port}`);
  }

  /** SIGKILLs the data process on `port`. */
  async kill9(port: number): Promise<void> {
    const member = this.#members.find((m) => m.port === port && m.role !== 'sentinel');
    if (!member) throw new Error(`no data process on port ${port}`);
    await terminate(member.child, 'SIGKILL');
  }

  async stop(): Promise<void> {
    await Promise.all(this.#members.map((m) => terminate(m.child, 'SIGTERM')));
  }

  async #startData(role: 'primary' | 'replica', port: number, primaryPort?: number): Promise<void> {
    const dir = path.join(this.dataDir, `${role}-${port}`);
    await mkdir(dir, { recursive: true });
    const conf = path.join(dir, 'redis.conf');
    // Password and masterauth in a 0600 file, not on the command line; masterauth on both so
    // the old primary can rejoin as a replica.
    await writeFile(
      conf,
      [
        `requirepass ${this.password}`,
        `masterauth ${this.password}`,
        'bind 127.0.0.1',
        `port ${port}`,
        `dir ${dir}`,
        'appendonly yes',
        'appendfsync always',
        'save ""',
        'logfile redis.log',
        ...(primaryPort ? [`replicaof 127.0.0.1 ${primaryPort}`] : []),
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    this.#members.push({ role, port, child: await spawnReady(conf, port, this.password, []) });
  }

  async #startSentinel(port: number, primaryPort: number, downAfterMs: number): Promise<void> {
    const dir = path.join(this.dataDir, `sentinel-${port}`);
    await mkdir(dir, { recursive: true });
    const conf = path.join(dir, 'sentinel.conf');
    // Sentinels rewrite their config file at runtime, so each gets its own writable copy.
    await writeFile(
      conf,
      [
        'bind 127.0.0.1',
        `port ${port}`,
        `dir ${dir}`,
        'logfile sentinel.log',
        `sentinel monitor ${this.name} 127.0.0.1 ${primaryPort} 2`,
        `sentinel auth-pass ${this.name} ${this.password}`,
        `sentinel down-after-milliseconds ${this.name} ${downAfterMs}`,
        `sentinel failover-timeout ${this.name} 10000`,
        `sentinel parallel-syncs ${this.name} 1`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    this.#members.push({ role: 'sentinel', port, child: await spawnReady(conf, port, undefined, ['--sentinel']) });
  }

  async #waitReplicated(primaryPort: number): Promise<void> {
    const client = await this.dataClient(primaryPort);
    try {
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const info = await client.info('replication');
        if (/connected_slaves:2/.test(info) && (info.match(/state=online/g) ?? []).length === 2) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('replicas did not come online within 10 s');
    } finally {
      client.destroy();
    }
  }
}

async function spawnReady(conf: string, port: number, password: string | undefined, extra: string[]): Promise<ChildProcess> {
  const child = spawn('/usr/bin/redis-server', [conf, ...extra], { stdio: ['ignore', 'ignore', 'ignore'] });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`redis-server (${conf}) exited with ${code} before it was ready`))),
  );
  const auth = password ? `:${password}@` : '';
  // connectRedis retries until the process listens; an early exit fails the start instead.
  const client = await Promise.race([connectRedis(`redis://${auth}127.0.0.1:${port}`), exited]);
  await client.ping();
  client.destroy();
  child.removeAllListeners('exit');
  return child;
}

async function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
}
