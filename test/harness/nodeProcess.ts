import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '@rvw/infra/redis/freePort';
import type { TestNode } from './testNode';

/** The cluster secret the test nodes of one cluster share. */
export const TEST_CLUSTER_SECRET = 'test-cluster-secret-0123456789abcdef';

/** A regional node running as its own OS process on the production entry (`node signaling/dist/main.js`). */
export interface NodeProcess {
  nodeId: string;
  /** Its HTTP origin (`http://localhost:port`). */
  url: string;
  child: ChildProcess;
  /** Everything it printed so far. */
  log(): string;
  /** `kill -9`: no goodbye to Redis, no closed sockets: the way a machine dies. */
  kill9(): void;
}

/**
 * Starts a node process beside an in-process test node `t`: nothing shared but Redis, the data
 * directory (as a region's nodes share storage) and the cluster secret. Resolves once it is in the
 * registry and serves its pages. Needs `npm run build:server` first.
 */
export async function startNodeProcess(t: TestNode, opts: { nodeId: string; regions: string; env?: Record<string, string> }): Promise<NodeProcess> {
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const child = spawn('node', ['signaling/dist/main.js'], {
    env: {
      ...process.env,
      RVW_HTTP_PORT: String(port),
      RVW_REDIS_URL: t.redis.url,
      RVW_DATA_DIR: path.dirname(t.node.configPkiDir),
      RVW_PKI_DIR: t.node.configPkiDir,
      RVW_LOG_LEVEL: 'warn',
      RVW_SFU_WORKERS: '1',
      RVW_PEER_GRACE_MS: '3000',
      // Recording (ffmpeg per track) only where a test asks for it: test/recording/ turns it on.
      RVW_RECORDING: 'off',
      RVW_NODE_ID: opts.nodeId,
      RVW_NODE_REGIONS: opts.regions,
      RVW_NODE_HEARTBEAT_MS: '300',
      // Short enough that a dead node is noticed within the test, long enough that a node process
      // stalled by CI load (1.2 s was missed once) is not taken for dead: its pipes would close.
      RVW_NODE_TTL_MS: '3000',
      RVW_CLUSTER_SECRET: TEST_CLUSTER_SECRET,
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const started: NodeProcess = { nodeId: opts.nodeId, url, child, log: () => log, kill9: () => void child.kill('SIGKILL') };
  await until(async () => (await t.node.cluster.nodes.get(opts.nodeId)) !== undefined, 30_000, () => `node ${opts.nodeId} did not register:\n${log}`);
  await until(async () => (await fetch(`${url}/clerk.html`).catch(() => undefined))?.status === 200, 30_000, () => `node ${opts.nodeId} did not serve its pages:\n${log}`);
  return started;
}

/** Waits for `ok` (a hook cannot use expect.poll); throws with `why()` on timeout. */
async function until(ok: () => Promise<boolean>, timeoutMs: number, why: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(why());
    await new Promise((r) => setTimeout(r, 200));
  }
}
