import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RegionSide } from './TwoRegionNet';

/** A regional node process (`node signaling/dist/main.js`) running inside a region's namespace. */
export interface NsNode {
  nodeId: string;
  side: RegionSide;
  port: number;
  /** http://<namespace's root-link address>:<port> — what the browsers open. */
  origin: string;
  /** Its own data directory (blobs, documents). */
  dataDir: string;
  readonly process: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  log(): string;
  /** Its /metrics text (scraped with the bearer token, as the monitoring system does). */
  metrics(): Promise<string>;
  /** SIGKILL, no clean close: what a crash or an OOM kill looks like to the others. */
  kill9(): Promise<void>;
  /** SIGTERM and wait; then removes its data directory. */
  stop(): Promise<void>;
}

/** Options for {@link startNsNode}. */
export interface NsNodeOptions {
  side: RegionSide;
  nodeId: string;
  /** Region codes it serves (RVW_NODE_REGIONS). */
  regions: string;
  port: number;
  /** A Redis URL reachable from inside the namespace (the root end of its root link). */
  redisUrl: string;
  pkiDir: string;
  clusterSecret: string;
  metricsToken: string;
  /** Extra configuration (e.g. RVW_SFU_WORKERS, heartbeat). */
  env?: Record<string, string>;
}

/**
 * Starts the production entry inside `side.ns` with `ip netns exec`: HTTP and browser media on
 * the namespace's root-link address, inter-node pipes on its end of the netem link, and a data
 * directory of its own. Resolves once it serves its pages.
 */
export async function startNsNode(o: NsNodeOptions): Promise<NsNode> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `rvw-${o.nodeId}-`));
  const origin = `http://${o.side.nsIp}:${o.port}`;
  const child = spawn('ip', ['netns', 'exec', o.side.ns, process.execPath, 'signaling/dist/main.js'], {
    env: {
      ...process.env,
      // Every address of its namespace: the root link (pages) and the link to the other region,
      // where another region's node reaches it (RVW_INTERNAL_ORIGIN, for node-to-node HTTP).
      RVW_HTTP_HOST: '0.0.0.0',
      RVW_HTTP_PORT: String(o.port),
      RVW_PUBLIC_ORIGIN: origin,
      RVW_INTERNAL_ORIGIN: `http://${o.side.interIp}:${o.port}`,
      RVW_REDIS_URL: o.redisUrl,
      RVW_DATA_DIR: dataDir,
      RVW_PKI_DIR: o.pkiDir,
      RVW_LOG_LEVEL: 'warn',
      RVW_RTC_LISTEN_IP: o.side.nsIp,
      RVW_PIPE_LISTEN_IP: o.side.interIp,
      RVW_NODE_ID: o.nodeId,
      RVW_NODE_REGIONS: o.regions,
      RVW_CLUSTER_SECRET: o.clusterSecret,
      RVW_METRICS_TOKEN: o.metricsToken,
      RVW_PEER_GRACE_MS: '3000',
      // Recording (ffmpeg per track) only where a test asks for it: test/recording/ turns it on.
      RVW_RECORDING: 'off',
      ...o.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const node: NsNode = {
    nodeId: o.nodeId,
    side: o.side,
    port: o.port,
    origin,
    dataDir,
    process: child,
    log: () => log,
    async metrics() {
      const res = await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${o.metricsToken}` } });
      if (!res.ok) throw new Error(`/metrics of ${o.nodeId}: ${res.status}`);
      return res.text();
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`node ${o.nodeId} exited before it was up:\n${log}`);
    const res = await fetch(`${origin}/clerk.html`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    if (res?.status === 200) break;
    if (Date.now() > deadline) {
      await node.kill9();
      throw new Error(`node ${o.nodeId} did not serve its pages in 60 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return node;
}

/** The value of one sample of a /metrics text (0 when absent). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const wanted = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (wanted) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}
