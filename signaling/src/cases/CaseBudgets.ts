import type { Budgets } from '../config.js';
import { AppError } from '../errors/AppError.js';
import type { RedisClient } from '../store/redisClient.js';

/** Keys of the case budgets (shared by every node through Redis). */
const keys = {
  /** ZSET of the case ids a counter opened that may still be waiting (score: opened at, ms). */
  waiting: (counterId: string) => `budget:waiting:${counterId}`,
  /** Material bytes a counter uploaded in one clock hour. */
  materialHour: (counterId: string, hour: number) => `budget:material:${counterId}:${hour}`,
};

/**
 * The budgets of case use cases that must hold across nodes, kept in Redis: how many cases one
 * counter may have waiting, and how many material bytes it may upload per hour. Each check
 * reserves first and gives back on refusal, so concurrent requests can never all pass.
 */
export class CaseBudgets {
  constructor(
    private readonly redis: RedisClient,
    readonly limits: Pick<Budgets, 'casesWaitingPerCounter' | 'materialBytesPerCase' | 'materialBytesPerCounterHour'>,
  ) {}

  /**
   * Reserves a waiting place for `caseId` of the counter, or refuses BUDGET_EXCEEDED. Entries whose
   * cases are no longer waiting (`stillWaiting` false) are dropped on the way.
   */
  async reserveWaiting(counterId: string, caseId: string, now: Date, stillWaiting: (caseIds: string[]) => Promise<boolean[]>): Promise<void> {
    const key = keys.waiting(counterId);
    await this.redis.zAdd(key, { score: now.getTime(), value: caseId });
    const others = (await this.redis.zRange(key, 0, -1)).filter((id) => id !== caseId);
    const alive = others.length ? await stillWaiting(others) : [];
    const gone = others.filter((_, i) => !alive[i]);
    if (gone.length) await this.redis.zRem(key, gone);
    const limit = this.limits.casesWaitingPerCounter;
    if (others.length - gone.length + 1 > limit) {
      await this.redis.zRem(key, caseId);
      throw new AppError('BUDGET_EXCEEDED', `本窗口已有 ${limit} 件办件在排队，请先办理或取消后再发起 (too many cases waiting)`, 429, {
        budget: 'casesWaitingPerCounter',
        limit,
      });
    }
  }

  /** Gives back a place reserved for a case that was not created after all. */
  async releaseWaiting(counterId: string, caseId: string): Promise<void> {
    await this.redis.zRem(keys.waiting(counterId), caseId);
  }

  /** Charges material bytes to the counter's hour, or refuses BUDGET_EXCEEDED (nothing charged). */
  async chargeMaterial(counterId: string, bytes: number, now: Date): Promise<void> {
    const hour = Math.floor(now.getTime() / 3_600_000);
    const key = keys.materialHour(counterId, hour);
    const total = await this.redis.incrBy(key, bytes);
    if (total === bytes) await this.redis.expire(key, 2 * 3600);
    const limit = this.limits.materialBytesPerCounterHour;
    if (total > limit) {
      await this.redis.decrBy(key, bytes);
      throw new AppError('BUDGET_EXCEEDED', `本窗口本小时上传的材料已达上限（${Math.round(limit / 1048576)} MB），请稍后再试 (material upload budget)`, 429, {
        budget: 'materialBytesPerCounterHour',
        limit,
      });
    }
  }

  /** Gives back bytes charged for a material that was not stored after all. */
  async refundMaterial(counterId: string, bytes: number, now: Date): Promise<void> {
    await this.redis.decrBy(keys.materialHour(counterId, Math.floor(now.getTime() / 3_600_000)), bytes);
  }
}
