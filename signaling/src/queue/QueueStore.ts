import type { RedisClient } from '../store/redisClient.js';
import { ClerkPresence } from './ClerkPresence.js';
import { queueKey, type QueueRef } from './queueKey.js';

/** How many recent cases the average handling time is taken over. */
const WINDOW = 20;
/** The estimate before a queue has any history: a session takes about ten minutes. */
export const DEFAULT_HANDLING_SECONDS = 600;

/** A waiting case: its id and when it joined the queue (ms since the epoch). */
export interface QueueMember {
  caseId: string;
  enqueuedAtMs: number;
}

/**
 * Read side of the queues — one sorted set per (partnership, serving region, item), case id →
 * enqueue time — and
 * the recent handling times used for wait estimates. Queue membership is written only by
 * CaseStore, atomically with the case change that causes it.
 */
export class QueueStore {
  readonly #redis: RedisClient;
  /** The clerks serving each queue now (the other half of a wait estimate). */
  readonly presence: ClerkPresence;

  private constructor(redis: RedisClient, clock: () => Date) {
    this.#redis = redis;
    this.presence = new ClerkPresence(redis, clock);
  }

  /** Creates the store over a connected client (the caller owns the client). */
  static async create(opts: { redis: RedisClient; clock?: () => Date }): Promise<QueueStore> {
    return new QueueStore(opts.redis, opts.clock ?? (() => new Date()));
  }

  /** The waiting cases of one queue, oldest first. */
  async members(queue: QueueRef): Promise<QueueMember[]> {
    const rows = await this.#redis.zRangeWithScores(queueKey(queue), 0, -1);
    return rows.map((r) => ({ caseId: r.value, enqueuedAtMs: r.score }));
  }

  /** A case's 0-based rank, the queue length and its enqueue time; undefined when it is not in the queue. */
  async standing(queue: QueueRef, caseId: string): Promise<{ rank: number; length: number; enqueuedAtMs: number } | undefined> {
    const key = queueKey(queue);
    const [rank, length, score] = await Promise.all([this.#redis.zRank(key, caseId), this.#redis.zCard(key), this.#redis.zScore(key, caseId)]);
    return rank === null || score === null ? undefined : { rank, length, enqueuedAtMs: score };
  }

  /** Records the handling time (accept → close) of one closed case. */
  async recordHandlingTime(queue: QueueRef, seconds: number): Promise<void> {
    const key = handlingKey(queue);
    await this.#redis.multi().lPush(key, String(Math.max(0, Math.round(seconds)))).lTrim(key, 0, WINDOW - 1).exec();
  }

  /** The average of the last handling times (so the estimate follows the current pace), or DEFAULT_HANDLING_SECONDS. */
  async averageHandlingSeconds(queue: QueueRef): Promise<number> {
    const values = (await this.#redis.lRange(handlingKey(queue), 0, WINDOW - 1)).map(Number);
    if (values.length === 0) return DEFAULT_HANDLING_SECONDS;
    return values.reduce((a, b) => a + b, 0) / values.length;
  }
}

function handlingKey(queue: QueueRef): string {
  return `${queueKey(queue)}:handling`;
}
