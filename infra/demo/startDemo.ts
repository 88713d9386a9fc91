/**
 * The demo start, `bash infra/start.sh` (README command one): one process serving every
 * region, run as `node infra/dist/demo/startDemo.js` on the build output. Starts a private
 * redis-server under the data directory unless RVW_REDIS_URL is set, and a private PostgreSQL (the
 * case archive, data/postgres) unless RVW_ARCHIVE_URL is set, creates the development PKI for the seeded regions, seeds the demo catalogue, registers the
 * demo counter terminal, and prints the URL with the first administrator's invite.
 */
import path from 'node:path';
import { RegionalNode } from '@rvw/signaling/app/RegionalNode';
import { seedDemo, seedDemoCatalogAt } from '@rvw/signaling/app/seedDemo';
import { loadConfig } from '@rvw/signaling/config';
import { METRICS_TOKEN_FILE } from '@rvw/signaling/http/metricsAccess';
import { createLogger } from '@rvw/signaling/observability/logger';
import { ensureDevPki } from '../pki/ensureDevPki.js';
import { PostgresServer } from '../postgres/PostgresServer.js';
import { RedisServer } from '../redis/RedisServer.js';

const config = loadConfig();
const logger = createLogger({ level: config.logLevel });

let redisServer: RedisServer | undefined;
let redisUrl = config.redisUrl;
if (!redisUrl) {
  redisServer = await RedisServer.start({ dataDir: path.join(config.dataDir, 'redis') });
  redisUrl = redisServer.url;
  // The URL carries the generated password: log where it listens, not the URL.
  logger.info({ port: redisServer.port, dataDir: redisServer.dataDir }, 'private redis-server started (AOF always, password set)');
}

// The case archive's PostgreSQL, handed to the node the way a deployment does: its URL in
// RVW_ARCHIVE_URL (the URL carries the password, so it is not logged either).
let postgresServer: PostgresServer | undefined;
let archiveUrl = process.env.RVW_ARCHIVE_URL;
if (!archiveUrl) {
  postgresServer = await PostgresServer.start({ dataDir: path.join(config.dataDir, 'postgres') });
  archiveUrl = postgresServer.url;
  logger.info({ port: postgresServer.port, dataDir: postgresServer.dataDir }, 'private PostgreSQL started (fsync on, password set)');
}
const nodeConfig = loadConfig({ ...process.env, RVW_ARCHIVE_URL: archiveUrl });

// The catalogue decides which regions need signing keys, so it is seeded before the node starts.
const regions = await seedDemoCatalogAt(redisUrl);
await ensureDevPki({ pkiDir: config.pkiDir, regions: regions.map((r) => ({ code: r.code, name: r.name })) });
const node = await RegionalNode.create({ config: nodeConfig, redisUrl, logger });
const demo = await seedDemo(node);

const lines = [
  '',
  '跨域通办远程虚拟窗口 is running',
  `  open:                 ${node.url}/`,
  // Prometheus: bearer_token_file pointing at the generated file, or RVW_METRICS_TOKEN when set.
  config.metricsToken
    ? `  metrics:              curl -H "Authorization: Bearer $RVW_METRICS_TOKEN" ${node.url}/metrics`
    : `  metrics:              curl -H "Authorization: Bearer $(cat ${path.join(config.dataDir, METRICS_TOKEN_FILE)})" ${node.url}/metrics`,
  demo.bootstrapUrl ? `  first administrator:  ${demo.bootstrapUrl}` : '  first administrator:  already enrolled (sign in at /login.html)',
  ...demo.counterActivations.map((c) => `  counter terminal:     ${c.url}   (${c.label})`),
  '',
].filter((l) => l !== '');
process.stdout.write(`${lines.join('\n')}\n\n`);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  await node.close();
  await redisServer?.stop();
  await postgresServer?.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
