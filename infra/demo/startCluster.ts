/**
 * `bash infra/start-cluster.sh`: a local two-region cluster for people who want to see one —
 * Redis Sentinel (primary, two replicas, three sentinels), one PostgreSQL (the case archive, its URL
 * handed to both nodes in RVW_ARCHIVE_URL) and two node processes on the build
 * output, node `wj` serving 吴江 (320509) and node `hq` serving 霍邱 (341522), demo data seeded
 * once, links printed. Ctrl-C stops everything. Run as `node infra/dist/demo/startCluster.js`.
 *
 * RVW_CLUSTER_DATA_DIR (default data/cluster), RVW_CLUSTER_HTTP_PORTS (default 8081,8082),
 * RVW_CLUSTER_REDIS_PORT (default 6380: primary there, replicas +1 and +2, sentinels +10..+12).
 */
import { LocalCluster } from './LocalCluster.js';

/** A TCP port from the environment, or the default; anything else stops the start with the reason. */
function port(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1024 || n > 65000) throw new Error(`${name}: not a port (1024–65000): ${raw}`);
  return n;
}
const [wjRaw, hqRaw] = (process.env.RVW_CLUSTER_HTTP_PORTS ?? '').split(',');
const wjPort = port('RVW_CLUSTER_HTTP_PORTS', wjRaw, 8081);
const hqPort = port('RVW_CLUSTER_HTTP_PORTS', hqRaw, 8082);
const r = port('RVW_CLUSTER_REDIS_PORT', process.env.RVW_CLUSTER_REDIS_PORT, 6380);

const cluster = await LocalCluster.start({
  dataDir: process.env.RVW_CLUSTER_DATA_DIR || 'data/cluster',
  nodes: [
    { id: 'wj', regions: ['320509'], port: wjPort, rtcPorts: [40000, 44999] },
    { id: 'hq', regions: ['341522'], port: hqPort, rtcPorts: [45000, 49999] },
  ],
  redisPorts: { primary: r, replicas: [r + 1, r + 2], sentinels: [r + 10, r + 11, r + 12] },
});
process.stdout.write(`\n${cluster.describe()}\n\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  process.stdout.write('stopping the cluster…\n');
  await cluster.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
// A node that dies on its own takes the demo down with it, so nothing is left half-running.
for (const node of cluster.nodes) {
  node.child.once('exit', (code, signal) => {
    if (stopping) return;
    process.stderr.write(`node ${node.id} exited (${code ?? signal}); its log:\n${node.log()}\n`);
    void stop();
  });
}
