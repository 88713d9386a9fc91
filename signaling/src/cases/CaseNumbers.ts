import { chinaStandardTime } from '../catalog/chinaStandardTime.js';
import type { RedisClient } from '../store/redisClient.js';

/** A human case number: serving region code, China calendar day, sequence of the day (≥ 4 digits). */
export { CASE_NUMBER_PATTERN } from '@rvw/protocol/primitives';

/**
 * Human case numbers (办件编号) such as `341522-20261204-0007`: one Redis counter per serving
 * region and China calendar day (`case:seq:<region>:<yyyymmdd>`), so INCR makes them unique and
 * gap-free across every node sharing the Redis. The internal case id stays a UUID.
 */
export class CaseNumbers {
  private constructor(private readonly redis: RedisClient) {}

  /** Creates the allocator over a connected client (the caller owns it). */
  static async create(opts: { redis: RedisClient }): Promise<CaseNumbers> {
    return new CaseNumbers(opts.redis);
  }

  /** The next number of `regionCode` on the China calendar day of `at`. */
  async next(regionCode: string, at: Date): Promise<string> {
    const day = chinaStandardTime(at).date.replaceAll('-', '');
    const key = `case:seq:${regionCode}:${day}`;
    const [seq] = (await this.redis.multi().incr(key).expire(key, 3 * 86_400).exec()) as unknown as [number];
    return `${regionCode}-${day}-${String(seq).padStart(4, '0')}`;
  }
}
