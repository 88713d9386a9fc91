import type { PrintLedger, PrintStatus, PrintTokenBinding, TokenRefusal } from '@rvw/documents';
import type { RedisClient } from './redisClient.js';

// Every script is single-key, so it is atomic and valid on Redis Cluster.

// Counts a confirmed print if the document still has one allowed (the first print, or one per
// approved reprint) and clears its unconfirmed loads.
const COUNT_PRINT = `
local printed = tonumber(redis.call('HGET', KEYS[1], 'printed') or '0')
local allowed = tonumber(redis.call('HGET', KEYS[1], 'allowed') or '1')
if printed >= allowed then return -1 end
redis.call('HSET', KEYS[1], 'pending', 0, 'issued', 0)
return redis.call('HINCRBY', KEYS[1], 'printed', 1)
`;

// Admits one more token: 1, or -1 (no print allowed), -2 (load budget spent), -3 (token budget spent).
const ADMIT_TOKEN = `
local printed = tonumber(redis.call('HGET', KEYS[1], 'printed') or '0')
local allowed = tonumber(redis.call('HGET', KEYS[1], 'allowed') or '1')
if printed >= allowed then return -1 end
if tonumber(redis.call('HGET', KEYS[1], 'pending') or '0') >= tonumber(ARGV[1]) then return -2 end
if tonumber(redis.call('HGET', KEYS[1], 'issued') or '0') >= tonumber(ARGV[2]) then return -3 end
redis.call('HINCRBY', KEYS[1], 'issued', 1)
return 1
`;

// Counts one load of the PDF that is not (yet) a print; refuses once the budget is used up.
const COUNT_LOAD = `
local pending = tonumber(redis.call('HGET', KEYS[1], 'pending') or '0')
if pending >= tonumber(ARGV[1]) then return -1 end
return redis.call('HINCRBY', KEYS[1], 'pending', 1)
`;

// Marks a token as loaded, once: 1 = marked now, 0 = already loaded, -1 = unknown or expired.
const MARK_LOADED = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HSETNX', KEYS[1], 'loaded', '1') == 0 then return 0 end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
return 1
`;

// Takes a loaded token (deletes it) and returns its fields; nil when unknown, expired or not loaded.
const TAKE_LOADED = `
if redis.call('HGET', KEYS[1], 'loaded') ~= '1' then return nil end
local fields = redis.call('HMGET', KEYS[1], 'number', 'counterId')
redis.call('DEL', KEYS[1])
return fields
`;

// Allows exactly one more print beyond those already made (approving twice before the reprint
// does not allow two) and gives the counter a fresh load budget.
const APPROVE_REPRINT = `
local printed = tonumber(redis.call('HGET', KEYS[1], 'printed') or '0')
local allowed = tonumber(redis.call('HGET', KEYS[1], 'allowed') or '1')
if allowed < printed + 1 then allowed = printed + 1 end
redis.call('HSET', KEYS[1], 'allowed', allowed, 'pending', 0, 'issued', 0)
redis.call('HINCRBY', KEYS[1], 'approvals', 1)
return allowed - printed
`;

const tokenKey = (token: string) => `doc:printtoken:${token}`;
const printKey = (number: string) => `doc:print:${number}`;
const REFUSALS: Record<number, TokenRefusal> = { [-1]: 'no_print_allowed', [-2]: 'load_budget_spent', [-3]: 'token_budget_spent' };

/**
 * The print ledger in Redis: `doc:print:{number}` (printed, allowed, pending loads, tokens issued
 * since the last print, reports, approvals) and `doc:printtoken:{token}` (number, counterId,
 * loaded; short TTL).
 */
export class RedisPrintLedger implements PrintLedger {
  constructor(private readonly redis: RedisClient) {}

  async admitToken(number: string, budgets: { loadBudget: number; tokenBudget: number }): Promise<TokenRefusal | undefined> {
    const admitted = await this.redis.eval(ADMIT_TOKEN, { keys: [printKey(number)], arguments: [String(budgets.loadBudget), String(budgets.tokenBudget)] });
    return REFUSALS[Number(admitted)];
  }

  async saveToken(token: string, binding: PrintTokenBinding, ttlSeconds: number): Promise<void> {
    const key = tokenKey(token);
    await this.redis.multi().hSet(key, { number: binding.number, counterId: binding.counterId }).expire(key, ttlSeconds).exec();
  }

  async readToken(token: string): Promise<(Partial<PrintTokenBinding> & { loaded: boolean }) | undefined> {
    const fields = await this.redis.hGetAll(tokenKey(token));
    if (!Object.keys(fields).length) return undefined;
    return { ...(fields.number ? { number: fields.number } : {}), ...(fields.counterId ? { counterId: fields.counterId } : {}), loaded: fields.loaded !== undefined };
  }

  async markLoaded(token: string, confirmSeconds: number): Promise<'marked' | 'already' | 'unknown'> {
    const marked = await this.redis.eval(MARK_LOADED, { keys: [tokenKey(token)], arguments: [String(confirmSeconds)] });
    return marked === 1 ? 'marked' : marked === 0 ? 'already' : 'unknown';
  }

  async countLoad(number: string, loadBudget: number): Promise<boolean> {
    return (await this.redis.eval(COUNT_LOAD, { keys: [printKey(number)], arguments: [String(loadBudget)] })) !== -1;
  }

  async takeLoaded(token: string): Promise<PrintTokenBinding | undefined> {
    const taken = (await this.redis.eval(TAKE_LOADED, { keys: [tokenKey(token)], arguments: [] })) as [string | null, string | null] | null;
    return taken?.[0] && taken[1] ? { number: taken[0], counterId: taken[1] } : undefined;
  }

  async countPrint(number: string): Promise<number | undefined> {
    const result = await this.redis.eval(COUNT_PRINT, { keys: [printKey(number)], arguments: [] });
    return result === -1 ? undefined : Number(result);
  }

  async approveReprint(number: string): Promise<number> {
    return Number(await this.redis.eval(APPROVE_REPRINT, { keys: [printKey(number)], arguments: [] }));
  }

  async addReport(number: string, outcome: 'success' | 'failure'): Promise<void> {
    await this.redis.hIncrBy(printKey(number), outcome === 'success' ? 'reportedSuccess' : 'reportedFailure', 1);
  }

  async status(number: string): Promise<PrintStatus> {
    const hash = await this.redis.hGetAll(printKey(number));
    return {
      printed: Number(hash.printed ?? 0),
      allowed: Number(hash.allowed ?? 1),
      pendingLoads: Number(hash.pending ?? 0),
      reportedSuccess: Number(hash.reportedSuccess ?? 0),
      reportedFailure: Number(hash.reportedFailure ?? 0),
    };
  }
}
