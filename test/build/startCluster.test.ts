import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@rvw/infra/redis/freePort';
import { NodeRegistry } from '@rvw/signaling/cluster/NodeRegistry';
import { connectRedisTarget } from '@rvw/signaling/store/redisClient';
import { ensureServerBuilt } from '../harness/serverBuild';

const run = promisify(execFile);

// README's cluster command as a person runs it (minus install, which the test run already did):
// `bash infra/start-cluster.sh` prints its links, both nodes register, each serves its pages, and
// Ctrl-C (SIGINT) leaves no process behind — nodes, their mediasoup workers, redis-servers, sentinels.
describe('bash infra/start-cluster.sh', () => {
  let dir: string;
  let child: ChildProcess;
  let out = '';
  let redisBase: number;
  const httpPorts: number[] = [];

  beforeAll(async () => {
    await ensureServerBuilt();
    dir = await mkdtemp(path.join(os.tmpdir(), 'rvw-start-cluster-'));
    // PostgreSQL runs as the postgres user (we are root): it must be able to reach the data directory's postgres/.
    await chmod(dir, 0o711);
    httpPorts.push(await freePort(), await freePort());
    redisBase = await freeRedisBase();
    child = spawn('bash', ['infra/start-cluster.sh', '--no-install'], {
      env: {
        ...process.env,
        RVW_CLUSTER_DATA_DIR: dir,
        RVW_CLUSTER_HTTP_PORTS: httpPorts.join(','),
        RVW_CLUSTER_REDIS_PORT: String(redisBase),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 120_000;
    while (!/clerk sign-in:.*\(node hq\)/.test(out)) {
      if (child.exitCode !== null) throw new Error(`start-cluster.sh exited with ${child.exitCode}:\n${out}`);
      if (Date.now() > deadline) throw new Error(`no links within 120 s:\n${out}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }, 300_000);

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('prints the links of both nodes, registers both with their regions, and each node serves its pages', async () => {
    const [wj, hq] = httpPorts.map((p) => `http://localhost:${p}`) as [string, string];
    expect(out).toContain(`node wj   ${wj}/   regions 320509`);
    expect(out).toContain(`node hq   ${hq}/   regions 341522`);
    expect(out).toMatch(new RegExp(`first administrator: ${wj}/enroll\\.html#\\S+`));
    // Each counter's activation link points at the node of its region.
    expect(out).toMatch(new RegExp(`counter terminal:\\s+${wj}/counter\\.html#activate=\\S+\\s+\\(苏州市吴江区 .*node wj\\)`));
    expect(out).toMatch(new RegExp(`counter terminal:\\s+${hq}/counter\\.html#activate=\\S+\\s+\\(六安市霍邱县 .*node hq\\)`));
    expect(out).toContain(`clerk sign-in:       ${wj}/login.html`);
    expect(out).toContain(`clerk sign-in:       ${hq}/login.html`);

    const password = (await readFile(path.join(dir, 'redis-password'), 'utf8')).trim();
    const sentinels = [10, 11, 12].map((d) => ({ host: '127.0.0.1', port: redisBase + d }));
    const { redis } = await connectRedisTarget({ sentinel: { name: 'rvw', sentinels, password } }, { replicas: 0, timeoutMs: 1000 });
    try {
      const nodes = await new NodeRegistry({ redis, heartbeatMs: 1000, ttlMs: 1000 }).list();
      expect(nodes.map((n) => ({ nodeId: n.nodeId, regions: n.regions, origin: n.origin }))).toEqual([
        { nodeId: 'hq', regions: ['341522'], origin: hq },
        { nodeId: 'wj', regions: ['320509'], origin: wj },
      ]);
    } finally {
      await redis.quit();
    }
    for (const origin of [wj, hq]) {
      for (const page of ['/login.html', '/counter.html']) {
        const res = await fetch(`${origin}${page}`);
        expect(res.status, `${origin}${page}`).toBe(200);
        expect(await res.text()).toContain('<html');
      }
    }
  });

  it('Ctrl-C stops everything: no node, worker, redis-server, sentinel or postgres is left', async () => {
    const pids = [...out.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(2);
    // The nodes' children (mediasoup workers) and the launcher's (redis-servers, sentinels).
    const tree = await descendants(child.pid!);
    // … and the case archive's PostgreSQL (a postmaster and its background processes).
    expect(tree.length).toBeGreaterThanOrEqual(2 + 2 + 6 + 2);
    const postgresPort = Number(/postgresql:\s+127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    expect(await listening(postgresPort)).toBe(true);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    // A node's mediasoup worker exits on its own once the node is gone, a moment later.
    await expect.poll(async () => describeAlive(tree.filter(alive)), { timeout: 15_000 }).toEqual('');
    const ports = [...httpPorts, redisBase, redisBase + 1, redisBase + 2, redisBase + 10, redisBase + 11, redisBase + 12, postgresPort];
    expect(await Promise.all(ports.map(listening))).toEqual(ports.map(() => false));
    // Two nodes, their workers and six Redis processes shutting down on a loaded CI machine.
  }, 120_000);
});

/** Every process below `pid`. */
async function descendants(pid: number): Promise<number[]> {
  const { stdout } = await run('ps', ['-e', '-o', 'pid=,ppid=']);
  const rows = stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [c, pp] of rows) {
      if (pp !== p) continue;
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** `ps` lines of the given processes ('' when none is left), so a failure names what survived. */
async function describeAlive(pids: number[]): Promise<string> {
  if (!pids.length) return '';
  const { stdout } = await run('ps', ['-o', 'pid=,stat=,args=', '-p', pids.join(',')]).catch(() => ({ stdout: pids.join(' ') }));
  return stdout.trim();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** A base port B with B, B+1, B+2 and B+10..B+12 all free (the cluster's Redis ports). */
async function freeRedisBase(): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const all = [0, 1, 2, 10, 11, 12].map((d) => base + d);
    if (!(await Promise.all(all.map(listening))).some(Boolean) && (await Promise.all(all.map(bindable))).every(Boolean)) return base;
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
