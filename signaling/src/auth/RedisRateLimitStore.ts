import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';
import type { RedisClient } from '../store/redisClient.js';
import { authKeys } from './authKeys.js';

const INCR_SCRIPT = `
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return { hits, ttl }
`;

/**
 * express-rate-limit store in Redis (`auth:ratelimit:{prefix}{key}`, fixed window), so limits hold
 * across every node sharing the Redis.
 */
export class RedisRateLimitStore implements Store {
  /** Keys are shared between processes. */
  readonly localKeys = false;
  private windowMs = 60_000;

  /** `prefix` separates the limiters (e.g. `login:`). */
  constructor(
    private readonly redis: RedisClient,
    readonly prefix: string,
  ) {}

  /** Receives the limiter's options (window length). */
  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  /** Counts one hit for `key`. */
  async increment(key: string): Promise<ClientRateLimitInfo> {
    const reply = (await this.redis.eval(INCR_SCRIPT, { keys: [authKeys.rateLimit(this.prefix + key)], arguments: [String(this.windowMs)] })) as [number, number];
    return { totalHits: Number(reply[0]), resetTime: new Date(Date.now() + Number(reply[1])) };
  }

  /** Takes one hit back (skipped requests). */
  async decrement(key: string): Promise<void> {
    await this.redis.decr(authKeys.rateLimit(this.prefix + key));
  }

  /** Forgets `key`. */
  async resetKey(key: string): Promise<void> {
    await this.redis.del(authKeys.rateLimit(this.prefix + key));
  }
}
