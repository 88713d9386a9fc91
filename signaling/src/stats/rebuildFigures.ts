import type { CaseRecord } from '@rvw/protocol/caseRecord';
import type { RedisClient } from '../store/redisClient.js';
import { ARCHIVE_NUMBERS_KEY, archiveCasesKey, clerkCasesKey } from './caseContributions.js';
import type { StatsReader } from './StatsReader.js';

/**
 * Recomputes every partnership's figures and indexes (statistics, 差评, 容缺, 我的办件, the
 * archive's) from the case records in Redis: after an upgrade that added an index, or a restore
 * from backup. Reads every `case:{…}` record once (SCAN, 200 at a time). Run while the node takes
 * no case writes: a write between the scan and the rebuild would be counted from its record as
 * read. Answers how many cases and partnerships it covered.
 */
export async function rebuildFigures(redis: RedisClient, reader: StatsReader): Promise<{ cases: number; partnerships: number }> {
  const records: CaseRecord[] = [];
  for await (const keys of redis.scanIterator({ MATCH: 'case:{*}', COUNT: 200 })) {
    const docs = await Promise.all(keys.filter((k) => !k.endsWith(':events')).map((k) => redis.hGet(k, 'doc')));
    for (const doc of docs) if (doc) records.push(JSON.parse(doc) as CaseRecord);
  }
  const partnerships = [...new Set(records.map((r) => r.partnershipId))];
  // The indexes not kept per partnership start empty too (a member may point at a former state).
  const stale: string[] = [ARCHIVE_NUMBERS_KEY];
  for await (const keys of redis.scanIterator({ MATCH: `${clerkCasesKey('')}*`, COUNT: 200 })) stale.push(...keys);
  for (const pid of partnerships) stale.push(archiveCasesKey(pid));
  await Promise.all(stale.map((k) => redis.del(k)));
  await reader.rebuild(partnerships, records);
  return { cases: records.length, partnerships: partnerships.length };
}
