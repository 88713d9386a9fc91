// `npm run rebuild-figures`: recompute the statistics and indexes from the case records of the
// configured Redis (RVW_REDIS_URL or RVW_REDIS_SENTINELS, as the node reads them) and, with
// RVW_ARCHIVE_URL, the finished cases only the archive holds. Stop the region's nodes first (or
// run it where no case is written meanwhile).
import { CaseArchive } from '../archive/CaseArchive.js';
import { loadConfig } from '../config.js';
import { connectRedisTarget } from '../store/redisClient.js';
import { rebuildFigures } from './rebuildFigures.js';
import { StatsReader } from './StatsReader.js';

const config = loadConfig();
const target = config.redisSentinel ? { sentinel: config.redisSentinel } : config.redisUrl ? { url: config.redisUrl } : undefined;
if (!target) {
  process.stderr.write('RVW_REDIS_URL or RVW_REDIS_SENTINELS is required\n');
  process.exit(2);
}
const { redis } = await connectRedisTarget(target, config.redisReplicaAck);
const unused = async (x: string) => x;
const reader = new StatsReader({
  redis,
  clock: () => new Date(),
  labels: { partnership: unused, item: unused, hall: unused, counter: unused, clerk: unused },
  getCases: async () => [],
  clerksPresent: async () => ({ online: 0, busy: 0, paused: 0 }),
});
const archive = config.archive.url ? await CaseArchive.connect({ url: config.archive.url }) : undefined;
const done = await rebuildFigures(redis, reader, archive ? { archivedOnly: () => archive.archivedOnly() } : {});
process.stdout.write(`${JSON.stringify({ rebuilt: true, ...done })}\n`);
await archive?.close();
await redis.quit();
