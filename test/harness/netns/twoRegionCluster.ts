import { randomBytes } from 'node:crypto';
import type { BrowserContext } from 'playwright-core';
import { connectRedis } from '@rvw/signaling/store/redisClient';
import { startTestNode, type TestNode } from '../testNode';
import { startNsNode, type NsNode } from './nsNode';
import { TwoRegionNet, type RegionSide } from './TwoRegionNet';

/** The region codes of the two sides: 吴江 (the counter's) and 霍邱 (the clerk's). */
export const WUJIANG = '320509';
export const HUOQIU = '341522';
/** Every node of the cluster signs node-to-node messages with it (the test node's too). */
const CLUSTER_SECRET = 'test-cluster-secret-0123456789abcdef';
/** Node ports inside the namespaces (each has its own port space). */
export const NODE_PORT = 8080;

/** Two regions in two namespaces 30 ms apart, one node process each, sharing Redis in the root namespace. */
export interface TwoRegionCluster {
  net: TwoRegionNet;
  /**
   * A node in the root namespace on loopback, serving no region: it seeds the catalogue, makes
   * the signing keys, enrols the staff and activates counters (the admin's work, not measured).
   */
  setup: TestNode;
  /** The 吴江 node (counter side) and the 霍邱 node (clerk side). */
  wj: NsNode;
  hq: NsNode;
  /** Extra nodes started with {@link startNode}. */
  extra: NsNode[];
  /** Chromium flags: the nodes' http://10.… origins count as secure (camera, microphone). */
  chromiumArgs: string[];
  /** Starts another node process in a region's namespace (same address, another port). */
  startNode(side: RegionSide, nodeId: string, regions: string, port: number): Promise<NsNode>;
  /** Puts a session cookie into a browser context for a node's host (every port of it). */
  addCookie(context: BrowserContext, node: NsNode, cookie: { name: string; value: string }): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * Builds the two-region network (see TwoRegionNet), starts the setup node and its Redis, lets
 * Redis listen on the root ends of both root links (password as always), then starts one node
 * process per region inside its namespace. Needs `npm run build:server` done and root.
 */
export async function startTwoRegionCluster(options: { delayMs?: number; nodeEnv?: Record<string, string>; extraPorts?: number[] } = {}): Promise<TwoRegionCluster> {
  const net = await TwoRegionNet.create({ delayMs: options.delayMs ?? 15 });
  const extra: NsNode[] = [];
  let setup: TestNode | undefined;
  const started: NsNode[] = [];
  try {
    // Serving no region of the two: no client of either is sent to it.
    setup = await startTestNode({ env: { RVW_NODE_ID: `setup-${process.pid}`, RVW_NODE_REGIONS: '000000' } });
    // The node processes keep the partnerships' service hours, as in production; tests run at
    // any hour, so every partnership is open every day, all day (what an administrator may set).
    for (const p of await setup.node.catalog.list('partnership')) {
      await setup.node.catalog.replace('partnership', { ...p, serviceHours: { timezone: 'Asia/Shanghai', weekdays: [1, 2, 3, 4, 5, 6, 7], windows: [{ start: '00:00', end: '23:59' }] } });
    }
    const admin = await connectRedis(setup.redis.url);
    await admin.configSet('bind', `127.0.0.1 ${net.wj.rootIp} ${net.hq.rootIp}`);
    await admin.quit();
    const metricsToken = randomBytes(24).toString('hex');
    const redisFor = (side: RegionSide) => setup!.redis.url.replace('@127.0.0.1:', `@${side.rootIp}:`);
    const pkiDir = setup.node.configPkiDir;
    const startNode = async (side: RegionSide, nodeId: string, regions: string, port: number) => {
      const n = await startNsNode({ side, nodeId, regions, port, redisUrl: redisFor(side), pkiDir, clusterSecret: CLUSTER_SECRET, metricsToken, env: options.nodeEnv ?? {} });
      started.push(n);
      return n;
    };
    const [wj, hq] = await Promise.all([startNode(net.wj, `wujiang-${process.pid}`, WUJIANG, NODE_PORT), startNode(net.hq, `huoqiu-${process.pid}`, HUOQIU, NODE_PORT)]);
    const origins = [wj.origin, hq.origin, ...(options.extraPorts ?? []).flatMap((p) => [`http://${net.wj.nsIp}:${p}`, `http://${net.hq.nsIp}:${p}`])];
    const cluster: TwoRegionCluster = {
      net,
      setup,
      wj,
      hq,
      extra,
      chromiumArgs: [`--unsafely-treat-insecure-origin-as-secure=${origins.join(',')}`],
      async startNode(side, nodeId, regions, port) {
        const n = await startNode(side, nodeId, regions, port);
        extra.push(n);
        return n;
      },
      async addCookie(context, node, cookie) {
        await context.addCookies([{ name: cookie.name, value: cookie.value, url: node.origin, httpOnly: true, sameSite: 'Strict' }]);
      },
      async dispose() {
        await Promise.allSettled(started.map((n) => n.stop()));
        await net.dispose();
        await setup?.dispose();
      },
    };
    return cluster;
  } catch (e) {
    await Promise.allSettled(started.map((n) => n.kill9()));
    await net.dispose();
    await setup?.dispose();
    throw e;
  }
}
