import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { ensureDevPki } from '@rvw/infra/pki/ensureDevPki';
import { freePort } from '@rvw/infra/redis/freePort';
import type { WorkerPool } from '@rvw/sfu';
import { RegionalNode } from '@rvw/signaling/app/RegionalNode';
import type { Principal } from '@rvw/signaling/auth/Principal';
import { CatalogStore } from '@rvw/signaling/catalog/CatalogStore';
import { seedDemoCatalog, type DemoCatalog } from '@rvw/signaling/catalog/seedDemoCatalog';
import { loadConfig } from '@rvw/signaling/config';
import { createLogger, silentLogger } from '@rvw/signaling/observability/logger';
import { connectRedis } from '@rvw/signaling/store/redisClient';
import { ApiClient, tokenOf } from '../auth/apiClient';
import { SoftAuthenticator } from '../auth/softAuthenticator';
import { startTestPostgres, type TestPostgres } from './postgres';
import { startTestRedis, type TestRedis } from './redis';

/** A running regional node on real Redis, a real worker pool, real ports, demo catalogue. */
export interface TestNode {
  node: RegionalNode;
  /** http://localhost:PORT */
  origin: string;
  /** The node's data directory (RVW_DATA_DIR): blobs, documents, recordings. */
  dataDir: string;
  redis: TestRedis;
  /** The node's case archive's PostgreSQL, when started with `archive: true`. */
  postgres: TestPostgres | undefined;
  demo: DemoCatalog;
  /** A signed-in provincial administrator (enrolled through the bootstrap invite with a real passkey ceremony). */
  admin: ApiClient;
  /** Enrols and signs in a clerk of `regionCode` for `itemCodes`; returns its session cookie. */
  clerk(regionCode: string, itemCodes: string[], name?: string): Promise<{ api: ApiClient; cookie: { name: string; value: string }; staffId: string }>;
  /** Registers and activates the demo counter terminal of a hall; returns its device cookie. */
  counter(counterId?: string): Promise<{ api: ApiClient; cookie: { name: string; value: string } }>;
  /**
   * Stops the node (sockets dropped, media gone) and starts a new one on the same port, Redis and
   * data: what a restarted signaling process looks like to clients.
   */
  restartNode(): Promise<RegionalNode>;
  /**
   * Starts another node on the same Redis and data directory, on a port of its own, with a node
   * id and mediasoup workers of its own (never the shared pool: a call spanning both nodes pipes
   * producers between their routers under the same ids, which one worker cannot hold twice):
   * a second process of the region (what a load balancer spreads clients over), or with `env`
   * (e.g. RVW_NODE_REGIONS) a node of another region. Closed by `dispose()`.
   */
  startSecondNode(env?: Record<string, string>): Promise<RegionalNode>;
  /** Puts a cookie into a browser context for this origin. */
  addCookie(context: BrowserContext, cookie: { name: string; value: string }): Promise<void>;
  dispose(): Promise<void>;
}

const SETUP: Principal = { kind: 'staff', role: 'admin', staffId: 'test-setup', name: '测试', regionCodes: ['*'] };

/** Starts a node with everything real; `env` overrides configuration. */
export async function startTestNode(options: { pool?: WorkerPool; env?: Record<string, string>; enforceServiceHours?: boolean; archive?: boolean } = {}): Promise<TestNode> {
  const redis = await startTestRedis();
  // With `archive`: a private PostgreSQL the node keeps its case archive in (RVW_ARCHIVE_URL).
  const postgres = options.archive ? await startTestPostgres() : undefined;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rvw-node-'));
  const port = await freePort();
  const configEnv: Record<string, string> = {
    RVW_HTTP_PORT: String(port),
    RVW_HTTP_HOST: '127.0.0.1',
    RVW_DATA_DIR: dataDir,
    RVW_LOG_LEVEL: 'silent',
    RVW_PEER_GRACE_MS: '3000',
    // Recording (ffmpeg per track) only where a test asks for it: test/recording/ turns it on.
    RVW_RECORDING: 'off',
    RVW_SFU_WORKERS: '1',
    // Every node of the test shares it, so their calls can be piped between them.
    RVW_CLUSTER_SECRET: 'test-cluster-secret-0123456789abcdef',
    ...(postgres ? { RVW_ARCHIVE_URL: postgres.url } : {}),
    ...options.env,
  };
  const config = loadConfig(configEnv);
  const seedClient = await connectRedis(redis.url);
  const catalog = await CatalogStore.create({ redis: seedClient });
  const demo = await seedDemoCatalog(catalog);
  const regions = await catalog.list('region');
  await seedClient.quit();
  await ensureDevPki({ pkiDir: config.pkiDir, regions: regions.map((r) => ({ code: r.code, name: r.name })) });
  const createNode = (nodeConfig = config, sharePool = true) =>
    RegionalNode.create({
      config: nodeConfig,
      redisUrl: redis.url,
      // RVW_TEST_LOG=debug prints the node's structured log to stderr when a test needs explaining.
      logger: process.env.RVW_TEST_LOG ? createLogger({ level: process.env.RVW_TEST_LOG, destination: process.stderr }) : silentLogger(),
      // Off unless a test is about service hours: tests run at any hour.
      enforceServiceHours: options.enforceServiceHours ?? false,
      // Built once per run by test/build/webRoot.globalSetup.ts.
      ...(process.env.RVW_WEB_ROOT ? { webRoot: process.env.RVW_WEB_ROOT } : {}),
      ...(options.pool && sharePool ? { pool: options.pool } : {}),
    });
  let node = await createNode();
  const others: RegionalNode[] = [];
  const origin = config.http.publicOrigin;
  const admin = new ApiClient(origin, origin);
  const boot = await node.auth.ensureBootstrapInvite();
  if (!boot) throw new Error('no bootstrap invite on a fresh node');
  const adminKey = new SoftAuthenticator(origin);
  const enrolled = await admin.enrol(adminKey, tokenOf(boot.url), '省级管理员');
  if (!enrolled.ok) throw new Error(`admin enrolment failed: ${JSON.stringify(enrolled.error)}`);
  const login = await admin.signIn(adminKey);
  if (!login.ok) throw new Error(`admin sign-in failed: ${JSON.stringify(login.error)}`);

  const t: TestNode = {
    get node() {
      return node;
    },
    origin,
    dataDir,
    redis,
    postgres,
    demo,
    admin,
    async clerk(regionCode, itemCodes, name = '异地窗口人员') {
      const inv = await admin.call<{ url: string }>('POST', '/api/admin/invites', { role: 'clerk', regionCode, itemCodes });
      if (!inv.ok) throw new Error(`invite failed: ${JSON.stringify(inv.error)}`);
      const api = new ApiClient(origin, origin);
      const key = new SoftAuthenticator(origin);
      const e = await api.enrol(key, tokenOf(inv.data.url), name);
      if (!e.ok) throw new Error(`clerk enrolment failed: ${JSON.stringify(e.error)}`);
      const s = await api.signIn(key);
      if (!s.ok) throw new Error(`clerk sign-in failed: ${JSON.stringify(s.error)}`);
      return { api, cookie: { name: 'rvw_sid', value: api.jar.get('rvw_sid')! }, staffId: e.data.staffId };
    },
    async counter(counterId = demo.counterIds[0]!) {
      const c = await node.catalog.require('counter', counterId);
      const hall = await node.catalog.require('hall', c.hallId);
      const reg = await node.auth.counters.registerCounter(SETUP, { counterId: c.id, hallId: hall.id, regionCode: hall.regionCode, name: c.name });
      const api = new ApiClient(origin, origin);
      const act = await api.call('POST', '/api/auth/counter/activate', { token: tokenOf(reg.activationUrl.replace('#activate=', '#')) });
      if (!act.ok) throw new Error(`counter activation failed: ${JSON.stringify(act.error)}`);
      return { api, cookie: { name: 'rvw_dev', value: api.jar.get('rvw_dev')! } };
    },
    async restartNode() {
      await node.close();
      node = await createNode();
      return node;
    },
    async startSecondNode(env = {}) {
      // A fixed node id of the first node is not reused: two nodes never share an id.
      const nodeId = configEnv.RVW_NODE_ID ? `${configEnv.RVW_NODE_ID}-${others.length + 2}` : undefined;
      const other = await createNode(loadConfig({ ...configEnv, RVW_HTTP_PORT: String(await freePort()), RVW_NODE_ID: nodeId, ...env }), false);
      others.push(other);
      return other;
    },
    async addCookie(context, cookie) {
      await context.addCookies([{ name: cookie.name, value: cookie.value, url: origin, httpOnly: true, sameSite: 'Strict' }]);
    },
    async dispose() {
      for (const other of others.splice(0)) await other.close();
      await node.close();
      await postgres?.dispose();
      await redis.dispose();
      // RVW_TEST_KEEP=1 keeps the data directory (recordings, blobs) for a look after the run.
      if (!process.env.RVW_TEST_KEEP) await rm(dataDir, { recursive: true, force: true });
    },
  };
  return t;
}
