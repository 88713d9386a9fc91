import { createHash } from 'node:crypto';
import type { RedisConnection } from '../store/redisClient.js';

/**
 * A Lua script run by EVALSHA, falling back to EVAL when the server does not know it — which is
 * the normal case right after a redis-server restart, since the script cache is not persisted.
 */
export class RedisScript {
  /** SHA-1 of the source, the script's name for EVALSHA. */
  readonly sha: string;

  constructor(
    /** The Lua source. */
    readonly source: string,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /** Runs the script atomically on `redis` with the given keys and arguments. */
  async run(redis: RedisConnection, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await redis.evalSha(this.sha, { keys, arguments: args });
    } catch (e) {
      if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) throw e;
      return redis.eval(this.source, { keys, arguments: args });
    }
  }
}
