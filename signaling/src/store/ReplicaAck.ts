import { AppError } from '../errors/AppError.js';
import type { RedisConnection } from './redisClient.js';

/** Asks Redis how many replicas hold this connection's writes so far (`WAIT replicas timeoutMs`). */
export type WaitReplicas = (replicas: number, timeoutMs: number) => Promise<number>;

/** Lends one connection for a write and the WAIT after it (WAIT counts that connection's writes only). */
export type LeaseConnection = <T>(fn: (connection: RedisConnection, wait: WaitReplicas) => Promise<T>) => Promise<T>;

/** Options of {@link ReplicaAck}. */
export interface ReplicaAckOptions {
  /** Replicas that must hold a write before it counts as done (≥ 1; use {@link ReplicaAck.none} for 0). */
  replicas: number;
  /** How long WAIT may take before the write is refused as not replicated. */
  timeoutMs: number;
  lease: LeaseConnection;
}

/**
 * Acknowledged writes: a write counts as done only once `replicas` replicas hold it, so losing the
 * primary right after cannot lose it (Sentinel promotes the most up-to-date replica). When WAIT
 * times out the write is refused with REDIS_NOT_REPLICATED — it may still have happened on the
 * primary (and survive, or not, if the primary dies before a replica copies it).
 */
export class ReplicaAck {
  static #none: ReplicaAck | undefined;

  private constructor(private readonly options: ReplicaAckOptions | undefined) {}

  /** Replicated acknowledgement as configured. */
  static create(options: ReplicaAckOptions): ReplicaAck {
    if (options.replicas < 1) throw new Error('ReplicaAck needs replicas >= 1; use ReplicaAck.none()');
    return new ReplicaAck(options);
  }

  /** No waiting: a write is done when the primary answers (one embedded redis-server). */
  static none(): ReplicaAck {
    return (ReplicaAck.#none ??= new ReplicaAck(undefined));
  }

  /** Replicas a write waits for (0: none). */
  get replicas(): number {
    return this.options?.replicas ?? 0;
  }

  /**
   * Runs `write` on `redis` (no replicas to wait for) or on a leased connection followed by WAIT;
   * refuses REDIS_NOT_REPLICATED (503) when fewer replicas confirm within the timeout.
   */
  async write<T>(redis: RedisConnection, write: (connection: RedisConnection) => Promise<T>): Promise<T> {
    const o = this.options;
    if (!o) return write(redis);
    return o.lease(async (connection, wait) => {
      const result = await write(connection);
      const confirmed = Number(await wait(o.replicas, o.timeoutMs));
      if (confirmed < o.replicas) {
        throw new AppError('REDIS_NOT_REPLICATED', '数据暂未同步到备用库，请稍后重试', 503, { replicas: confirmed, required: o.replicas });
      }
      return result;
    });
  }
}
