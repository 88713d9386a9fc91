import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureDevPki } from '@rvw/infra/pki/ensureDevPki';
import { freePort } from '@rvw/infra/redis/freePort';
import { RegionalNode } from '@rvw/signaling/app/RegionalNode';
import { seedDemo, seedDemoCatalogAt } from '@rvw/signaling/app/seedDemo';
import { loadConfig } from '@rvw/signaling/config';
import { createLogger, silentLogger } from '@rvw/signaling/observability/logger';
import { startTestRedis, type TestRedis } from '../../harness/redis';

/** A fresh node started the way README command one starts it, and what that command prints. */
export interface JourneyNode {
  node: RegionalNode;
  origin: string;
  redis: TestRedis;
  /** The first administrator's one-time enrolment link. */
  bootstrapUrl: string;
  /** Counter activation links as printed, by label (e.g. "苏州市吴江区 跨域通办窗口 1 号"). */
  counterActivations: { label: string; url: string }[];
  dispose(): Promise<void>;
}

/**
 * Same steps as the demo start, `infra/demo/startDemo.ts` (seed the catalogue, dev PKI, start,
 * seedDemo), on a private redis-server and data directory. Service hours are enforced, as in production: the
 * walk has the administrator set hours that cover the time the test runs.
 */
export async function startJourneyNode(): Promise<JourneyNode> {
  const redis = await startTestRedis();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rvw-journey-'));
  const port = await freePort();
  const config = loadConfig({
    RVW_HTTP_PORT: String(port),
    RVW_HTTP_HOST: '127.0.0.1',
    RVW_DATA_DIR: dataDir,
    RVW_LOG_LEVEL: 'silent',
    RVW_SFU_WORKERS: '1',
  });
  const regions = await seedDemoCatalogAt(redis.url);
  await ensureDevPki({ pkiDir: config.pkiDir, regions: regions.map((r) => ({ code: r.code, name: r.name })) });
  const node = await RegionalNode.create({
    config,
    redisUrl: redis.url,
    // RVW_TEST_LOG=debug prints the node's structured log to stderr when a run needs explaining.
    logger: process.env.RVW_TEST_LOG ? createLogger({ level: process.env.RVW_TEST_LOG, destination: process.stderr }) : silentLogger(),
    // Built once per run by test/build/webRoot.globalSetup.ts.
    ...(process.env.RVW_WEB_ROOT ? { webRoot: process.env.RVW_WEB_ROOT } : {}),
  });
  const demo = await seedDemo(node);
  if (!demo.bootstrapUrl) throw new Error('a fresh node printed no first-administrator link');
  return {
    node,
    origin: config.http.publicOrigin,
    redis,
    bootstrapUrl: demo.bootstrapUrl,
    counterActivations: demo.counterActivations,
    async dispose() {
      await node.close();
      await redis.dispose();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
