import type { CaseRecord } from '@rvw/protocol/caseRecord';
import type { RedisClient } from '../store/redisClient.js';
import { clerkCasesKey } from './caseContributions.js';
import type { StatsReader } from './StatsReader.js';

/**
 * Recomputes every partnership's figures and indexes (statistics, 差评, 容缺, 我的办件) from the
 * case records: those live in Redis (SCAN, 200 at a time) and, with `archivedOnly`, those only
 * the case archive still holds (finished cases that left Redis). After an upgrade that added an
 * index, or a restore from backup. Run while the node takes no case writes: a write between the
 * scan and the rebuild would be counted from its record as read. Answers how many cases and
 * partnerships it covered.
 */
export async function rebuildFigures(
  redis: RedisClient,
  reader: StatsReader,
  opts: { archivedOnly?: () => AsyncIterable<CaseRecord[]> } = {},
): Promise<{ cases: number; partnerships: number }> {
  const records: CaseRecord[] = [];
  for await (const keys of redis.scanIterator({ MATCH: 'case:{*}', COUNT: 200 })) {
    const docs = await Promise.all(keys.filter((k) => !k.endsWith(':events')).map((k) => redis.hGet(k, 'doc')));
    for (const doc of docs) if (doc) records.push(JSON.parse(doc) as CaseRecord);
  }
  if (opts.archivedOnly) {
    const live = new Set(records.map((r) => r.id));
    // A case restored into Redis between the two reads is counted once, from Redis.
    for await (const batch of opts.archivedOnly()) for (const r of batch) if (!live.has(r.id)) records.push(r);
  }
  const partnerships = [...new Set(records.map((r) => r.partnershipId))];
  // The indexes not kept per partnership start empty too (a member may point at a former state).
  const stale: string[] = [];
  for await (const keys of redis.scanIterator({ MATCH: `${clerkCasesKey('')}*`, COUNT: 200 })) stale.push(...keys);
  await Promise.all(stale.map((k) => redis.del(k)));
  await reader.rebuild(partnerships, records);
  return { cases: records.length, partnerships: partnerships.length };
}
