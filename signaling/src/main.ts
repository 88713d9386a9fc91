/**
 * Production entry of a regional node (`node signaling/dist/main.js`, systemd and Kubernetes):
 * the configured Redis (RVW_REDIS_URL or RVW_REDIS_SENTINELS: the deployment runs it), the signing keys
 * already in RVW_PKI_DIR, the pages built in RVW_WEB_ROOT. It creates nothing and seeds nothing;
 * the demo start with an embedded redis-server and development PKI is infra/demo/startDemo.ts.
 */
import { RegionalNode } from './app/RegionalNode.js';
import { loadConfig } from './config.js';
import { createLogger } from './observability/logger.js';

const config = loadConfig();
const logger = createLogger({ level: config.logLevel });
if (!config.redisUrl && !config.redisSentinel) {
  logger.fatal('RVW_REDIS_URL or RVW_REDIS_SENTINELS is required (the demo start, bash infra/start.sh, runs its own redis-server)');
  process.exit(1);
}
const node = await RegionalNode.create({ config, ...(config.redisUrl ? { redisUrl: config.redisUrl } : {}), logger });

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  await node.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
