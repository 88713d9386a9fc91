import { randomBytes } from 'node:crypto';
import { AppError } from '../../../signaling/src/errors/AppError';
import type { RedisClient } from '../../../signaling/src/store/redisClient';

// Counts a delivered print if the document still has one allowed (the first print, or one per
// approved reprint). Single-key, so it is atomic and valid on Redis Cluster.
const COUNT_PRINT = `
local printed = tonumber(redis.call('HGET', KEYS[1], 'printed') or '0')
local allowed = tonumber(redis.call('HGET', KEYS[1], 'allowed') or '1')
if printed >= allowed then return -1 end
return redis.call('HINCRBY', KEYS[1], 'printed', 1)
`;

// Allows exactly one more print beyond those already made; approving twice before the reprint
// does not allow two.
const APPROVE_REPRINT = `
local printed = tonumber(redis.call('HGET', KEYS[1], 'printed') or '0')
local allowed = tonumber(redis.call('HGET', KEYS[1], 'allowed') or '1')
if allowed < printed + 1 then allowed = printed + 1 end
redis.call('HSET', KEYS[1], 'allowed', allowed)
redis.call('HINCRBY', KEYS[1], 'approvals', 1)
return allowed - printed
`;

/** Print state of one document. */
export interface PrintStatus {
  printed: number;
  allowed: number;
  reportedSuccess: number;
  reportedFailure: number;
}

/**
 * Print entitlements and single-use print tokens in Redis. A document may be printed once; every
 * further print needs a reprint approval by the issuing clerk. A token (`doc:printtoken:{token}`,
 * short TTL) is taken with GETDEL, so it works exactly once even under concurrent requests; the
 * print is counted atomically when the PDF is handed out.
 */
export class PrintTokens {
  constructor(
    private readonly redis: RedisClient,
    private readonly options: { ttlSeconds?: number } = {},
  ) {}

  /** Seconds a token stays usable. */
  get ttlSeconds(): number {
    return this.options.ttlSeconds ?? 120;
  }

  /** Issues a token for the counter; REPRINT_NOT_APPROVED when the allowed prints are used up. */
  async issue(number: string, counterId: string): Promise<{ token: string; expiresInSeconds: number; reprint: boolean }> {
    const status = await this.status(number);
    if (status.printed >= status.allowed) {
      throw new AppError('REPRINT_NOT_APPROVED', '该文书已打印，再次打印需经出具文书的工作人员批准 (reprint needs approval)', 409, { number, printed: status.printed });
    }
    const token = randomBytes(24).toString('base64url');
    await this.redis.set(`doc:printtoken:${token}`, JSON.stringify({ number, counterId }), { expiration: { type: 'EX', value: this.ttlSeconds } });
    return { token, expiresInSeconds: this.ttlSeconds, reprint: status.printed > 0 };
  }

  /** Takes (deletes) a token; PRINT_TOKEN_INVALID if it is unknown, expired or already used. */
  async take(token: string): Promise<{ number: string; counterId: string }> {
    const value = await this.redis.getDel(`doc:printtoken:${token}`);
    if (!value) throw new AppError('PRINT_TOKEN_INVALID', '打印凭证无效、已过期或已使用，请重新发起打印 (print token invalid)', 410);
    return JSON.parse(value) as { number: string; counterId: string };
  }

  /** Counts one delivered print; REPRINT_NOT_APPROVED if none is allowed any more. Returns the print count. */
  async countPrint(number: string): Promise<number> {
    const result = await this.redis.eval(COUNT_PRINT, { keys: [`doc:print:${number}`], arguments: [] });
    if (result === -1) throw new AppError('REPRINT_NOT_APPROVED', '该文书已打印，再次打印需经出具文书的工作人员批准 (reprint needs approval)', 409, { number });
    return Number(result);
  }

  /** Allows one more print of `number`; returns how many prints are now available. */
  async approveReprint(number: string): Promise<number> {
    return Number(await this.redis.eval(APPROVE_REPRINT, { keys: [`doc:print:${number}`], arguments: [] }));
  }

  /** Records the counter's report of the physical print. */
  async recordReport(number: string, outcome: 'success' | 'failure'): Promise<void> {
    await this.redis.hIncrBy(`doc:print:${number}`, outcome === 'success' ? 'reportedSuccess' : 'reportedFailure', 1);
  }

  /** Current print state of `number`. */
  async status(number: string): Promise<PrintStatus> {
    const hash = await this.redis.hGetAll(`doc:print:${number}`);
    return {
      printed: Number(hash.printed ?? 0),
      allowed: Number(hash.allowed ?? 1),
      reportedSuccess: Number(hash.reportedSuccess ?? 0),
      reportedFailure: Number(hash.reportedFailure ?? 0),
    };
  }
}
