import { randomBytes } from 'node:crypto';
import { AppError } from '@rvw/signaling/errors/AppError';
import type { RedisClient } from '@rvw/signaling/store/redisClient';

/**
 * How many times a document may be loaded at the counter without a confirmed print before the
 * issuing clerk has to approve again: enough to retry a frame that failed to show the PDF, too few
 * to turn the print endpoint into an unlimited download.
 */
export const LOAD_BUDGET = 3;

/**
 * Tokens a counter may ask for between two confirmed prints (or approvals): every token is an
 * audit event of the case, so an endless stream of unused ones is refused too.
 */
export const TOKEN_BUDGET = 10;

/** Seconds a loaded token stays confirmable: the print dialog may stay open for a while. */
const CONFIRM_WINDOW_SECONDS = 600;

// Counts a confirmed print if the document still has one allowed (the first print, or one per
// approved reprint) and clears its unconfirmed loads. Single-key, so it is atomic and valid on
// Redis Cluster.
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

/** Print state of one document. */
export interface PrintStatus {
  printed: number;
  allowed: number;
  /** Loads since the last confirmed print or approval that were not confirmed as printed. */
  pendingLoads: number;
  reportedSuccess: number;
  reportedFailure: number;
}

const tokenKey = (token: string) => `doc:printtoken:${token}`;
const printKey = (number: string) => `doc:print:${number}`;

const reprintNeeded = (number: string) =>
  new AppError('REPRINT_NOT_APPROVED', '该文书已打印，再次打印须经出具文书的工作人员批准，请联系异地窗口工作人员', 409, { number });
const tokenInvalid = () => new AppError('PRINT_TOKEN_INVALID', '打印凭证无效、已过期或已使用，请重新点击“打印”', 410);

/**
 * Print entitlements and single-use print tokens in Redis. A document may be printed once; every
 * further print needs a reprint approval by the issuing clerk. A token (`doc:printtoken:{token}`,
 * short TTL) loads the PDF once (which is not a print: the frame may still fail to show it) and is
 * then confirmed once, when the counter has opened the print dialog: only that counts.
 */
export class PrintTokens {
  constructor(
    private readonly redis: RedisClient,
    private readonly options: { ttlSeconds?: number } = {},
  ) {}

  /** Seconds a token stays usable before it is loaded. */
  get ttlSeconds(): number {
    return this.options.ttlSeconds ?? 120;
  }

  /**
   * Issues a token for the counter; REPRINT_NOT_APPROVED when the allowed prints are used up,
   * PRINT_LOAD_LIMIT when the document was loaded too often (or too many tokens were asked for)
   * without a confirmed print.
   */
  async issue(number: string, counterId: string): Promise<{ token: string; expiresInSeconds: number; reprint: boolean }> {
    const status = await this.status(number);
    const admitted = await this.redis.eval(ADMIT_TOKEN, { keys: [printKey(number)], arguments: [String(LOAD_BUDGET), String(TOKEN_BUDGET)] });
    if (admitted === -1) throw reprintNeeded(number);
    if (admitted === -2 || admitted === -3) throw loadLimit(number);
    const token = randomBytes(24).toString('base64url');
    const key = tokenKey(token);
    await this.redis.multi().hSet(key, { number, counterId }).expire(key, this.ttlSeconds).exec();
    return { token, expiresInSeconds: this.ttlSeconds, reprint: status.printed > 0 };
  }

  /** The document and counter of a token that has not been loaded yet; PRINT_TOKEN_INVALID otherwise. */
  async peek(token: string): Promise<{ number: string; counterId: string }> {
    const fields = await this.redis.hGetAll(tokenKey(token));
    if (!fields.number || !fields.counterId || fields.loaded) throw tokenInvalid();
    return { number: fields.number, counterId: fields.counterId };
  }

  /**
   * Marks the token loaded (once; concurrent loads get PRINT_TOKEN_INVALID) and spends one load of
   * the document's budget (PRINT_LOAD_LIMIT when none is left). Loading never counts as a print.
   */
  async markLoaded(token: string, number: string): Promise<void> {
    const marked = await this.redis.eval(MARK_LOADED, { keys: [tokenKey(token)], arguments: [String(CONFIRM_WINDOW_SECONDS)] });
    if (marked !== 1) throw tokenInvalid();
    const loads = await this.redis.eval(COUNT_LOAD, { keys: [printKey(number)], arguments: [String(LOAD_BUDGET)] });
    if (loads === -1) throw loadLimit(number);
  }

  /**
   * Takes a loaded token of `number` for its confirmation (exactly once) and counts the print;
   * PRINT_TOKEN_INVALID when it is unknown, expired, used or was never loaded, FORBIDDEN when
   * another counter holds it or it is another document's, REPRINT_NOT_APPROVED if no print is allowed any more.
   */
  async confirm(token: string, number: string, counterId: string): Promise<{ printCount: number }> {
    const key = tokenKey(token);
    const held = await this.redis.hmGet(key, ['number', 'counterId']);
    // Checked before taking it, so another counter (or a token of another document) cannot burn it.
    if (held[0] && (held[0] !== number || held[1] !== counterId)) throw new AppError('FORBIDDEN', '该打印凭证不属于本窗口终端或本文书', 403);
    const taken = (await this.redis.eval(TAKE_LOADED, { keys: [key], arguments: [] })) as [string | null, string | null] | null;
    if (!taken || taken[0] !== number) throw tokenInvalid();
    return { printCount: await this.countPrint(number) };
  }

  /** Counts one confirmed print; REPRINT_NOT_APPROVED if none is allowed any more. Returns the print count. */
  async countPrint(number: string): Promise<number> {
    const result = await this.redis.eval(COUNT_PRINT, { keys: [printKey(number)], arguments: [] });
    if (result === -1) throw reprintNeeded(number);
    return Number(result);
  }

  /** Allows one more print of `number`; returns how many prints are now available. */
  async approveReprint(number: string): Promise<number> {
    return Number(await this.redis.eval(APPROVE_REPRINT, { keys: [printKey(number)], arguments: [] }));
  }

  /** Records the counter's report of the physical print. */
  async recordReport(number: string, outcome: 'success' | 'failure'): Promise<void> {
    await this.redis.hIncrBy(printKey(number), outcome === 'success' ? 'reportedSuccess' : 'reportedFailure', 1);
  }

  /** Current print state of `number`. */
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

function loadLimit(number: string): AppError {
  return new AppError('PRINT_LOAD_LIMIT', '该文书已多次载入但未完成打印，请联系出具文书的工作人员批准后再打印', 409, { number, budget: LOAD_BUDGET });
}
