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
const PAUSED_KEY = 'presence:paused';
/**
 * 示忙 lapses after this long: a clerk who paused and went home is not found paused next morning
 * (a reload, or a page moving to another node, keeps it: the state is not tied to the socket).
 */
export const PAUSE_MAX_MS = 12 * 3_600_000;

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

  /** 示忙: the clerk takes no new applicant until resumed (kept across pages and nodes). */
  async pause(staffId: string): Promise<string> {
    const since = this.clock().toISOString();
    await this.redis.hSetNX(PAUSED_KEY, staffId, since);
    return (await this.redis.hGet(PAUSED_KEY, staffId)) ?? since;
  }

  /** 示闲: the clerk takes applicants again. */
  async resume(staffId: string): Promise<void> {
    await this.redis.hDel(PAUSED_KEY, staffId);
  }

  /** Since when the clerk is paused (示忙), or null (never paused, resumed, or lapsed: PAUSE_MAX_MS). */
  async pausedSince(staffId: string): Promise<string | null> {
    const since = (await this.redis.hGet(PAUSED_KEY, staffId)) ?? null;
    if (since === null || this.#pausedNow(since)) return since;
    await this.redis.hDel(PAUSED_KEY, staffId);
    return null;
  }

  #pausedNow(since: string | null | undefined): boolean {
    return !!since && this.clock().getTime() - Date.parse(since) < PAUSE_MAX_MS;
  }

  /**
   * How many clerks serve the item now, and how many of them hold no case. A paused clerk (示忙)
   * serves nobody new: counted in neither, so the counters' wait estimates do not wait on them.
   */
  async serving(regionCode: string, itemCode: string): Promise<{ online: number; idle: number; paused: number }> {
    const key = servingKey(regionCode, itemCode);
    const now = this.clock().getTime();
    // Lapsed entries (a node that died without saying goodbye) are dropped on the way.
    await this.redis.zRemRangeByScore(key, '-inf', now);
    const watching = await this.redis.zRange(key, 0, -1);
    if (watching.length === 0) return { online: 0, idle: 0, paused: 0 };
    const paused = await this.redis.hmGet(PAUSED_KEY, watching);
    const present = watching.filter((_, i) => !this.#pausedNow(paused[i]));
    const pausedCount = watching.length - present.length;
    if (present.length === 0) return { online: 0, idle: 0, paused: pausedCount };
    const holding = await this.redis.hmGet(BUSY_KEY, present);
    return { online: present.length, idle: holding.filter((c) => !c).length, paused: pausedCount };
  }

  /** For each of `staffIds`: watching the item's queue now, holding a case, paused (示忙). */
  async states(regionCode: string, itemCode: string, staffIds: readonly string[]): Promise<{ online: boolean; busy: boolean; paused: boolean }[]> {
    if (staffIds.length === 0) return [];
    const now = this.clock().getTime();
    const [until, holding, paused] = await Promise.all([
      Promise.all(staffIds.map((id) => this.redis.zScore(servingKey(regionCode, itemCode), id))),
      this.redis.hmGet(BUSY_KEY, [...staffIds]),
      this.redis.hmGet(PAUSED_KEY, [...staffIds]),
    ]);
    return staffIds.map((_, i) => ({ online: (until[i] ?? 0) > now, busy: !!holding[i], paused: this.#pausedNow(paused[i]) }));
  }

  /** Distinct clerks present for any of `pairs` now, and how many of them hold a case (the statistics' live view). */
  async snapshot(pairs: readonly { regionCode: string; itemCode: string }[]): Promise<{ online: number; busy: number; paused: number }> {
    const now = this.clock().getTime();
    const keys = [...new Set(pairs.map((p) => servingKey(p.regionCode, p.itemCode)))];
    const present = [...new Set((await Promise.all(keys.map((k) => this.redis.zRangeByScore(k, now, '+inf')))).flat())];
    if (present.length === 0) return { online: 0, busy: 0, paused: 0 };
    const [holding, paused] = await Promise.all([this.redis.hmGet(BUSY_KEY, present), this.redis.hmGet(PAUSED_KEY, present)]);
    return { online: present.length, busy: holding.filter((c) => !!c).length, paused: paused.filter((c) => this.#pausedNow(c)).length };
  }
}
