import type { RedisClient } from '../store/redisClient.js';

/** Seconds a clerk counts as present after the last sign of life; nodes refresh well within it. */
export const PRESENCE_TTL_SECONDS = 60;

/** A clerk as presence needs it. */
export interface PresentClerk {
  staffId: string;
  regionCode: string;
  itemCodes: readonly string[];
}

const servingKey = (regionCode: string, itemCode: string) => `presence:serving:${regionCode}:${itemCode}`;
const BUSY_KEY = 'presence:busy';

/**
 * Which clerks serve an item right now, in Redis so that every node sees the clerks of every
 * node: one sorted set per (serving region, item), staff id → until when the clerk counts as
 * present (its node refreshes it while the clerk's page watches the queue), and one hash of the
 * clerks holding a case (staff id → case id) from 受理 to the case's close.
 */
export class ClerkPresence {
  constructor(
    private readonly redis: RedisClient,
    private readonly clock: () => Date,
  ) {}

  /** The clerk's page watches its queues: present for PRESENCE_TTL_SECONDS more. */
  async online(clerk: PresentClerk): Promise<void> {
    if (clerk.itemCodes.length === 0) return;
    const until = this.clock().getTime() + PRESENCE_TTL_SECONDS * 1000;
    const tx = this.redis.multi();
    for (const item of clerk.itemCodes) tx.zAdd(servingKey(clerk.regionCode, item), { score: until, value: clerk.staffId });
    await tx.exec();
  }

  /** The clerk's last watching page closed. */
  async offline(clerk: PresentClerk): Promise<void> {
    if (clerk.itemCodes.length === 0) return;
    const tx = this.redis.multi();
    for (const item of clerk.itemCodes) tx.zRem(servingKey(clerk.regionCode, item), clerk.staffId);
    await tx.exec();
  }

  /** The clerk accepted a case: busy until it closes. */
  async busy(staffId: string, caseId: string): Promise<void> {
    await this.redis.hSet(BUSY_KEY, staffId, caseId);
  }

  /** The clerk's case closed (only that case frees the clerk: a newer one keeps it busy). */
  async free(staffId: string, caseId: string): Promise<void> {
    if ((await this.redis.hGet(BUSY_KEY, staffId)) === caseId) await this.redis.hDel(BUSY_KEY, staffId);
  }

  /** How many clerks serve the item now, and how many of them hold no case. */
  async serving(regionCode: string, itemCode: string): Promise<{ online: number; idle: number }> {
    const key = servingKey(regionCode, itemCode);
    const now = this.clock().getTime();
    // Lapsed entries (a node that died without saying goodbye) are dropped on the way.
    await this.redis.zRemRangeByScore(key, '-inf', now);
    const present = await this.redis.zRange(key, 0, -1);
    if (present.length === 0) return { online: 0, idle: 0 };
    const holding = await this.redis.hmGet(BUSY_KEY, present);
    return { online: present.length, idle: holding.filter((c) => !c).length };
  }

  /** Distinct clerks present for any of `pairs` now, and how many of them hold a case (the statistics' live view). */
  async snapshot(pairs: readonly { regionCode: string; itemCode: string }[]): Promise<{ online: number; busy: number }> {
    const now = this.clock().getTime();
    const keys = [...new Set(pairs.map((p) => servingKey(p.regionCode, p.itemCode)))];
    const present = new Set((await Promise.all(keys.map((k) => this.redis.zRangeByScore(k, now, '+inf')))).flat());
    if (present.size === 0) return { online: 0, busy: 0 };
    const holding = await this.redis.hmGet(BUSY_KEY, [...present]);
    return { online: present.size, busy: holding.filter((c) => !!c).length };
  }
}
