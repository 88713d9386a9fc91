import { AppError } from '../errors/AppError.js';
import type { RedisClient } from '../store/redisClient.js';
import { authKeys } from './authKeys.js';
import type { Clock } from './Clock.js';
import { hashToken } from './hashToken.js';

/** What a pending challenge was issued for. */
export type ChallengeContext =
  | {
      purpose: 'register';
      /** SHA-256 of the invite token the options were requested with. */
      inviteHash: string;
      /** Staff id the credential will belong to (new or existing). */
      staffId: string;
      /** True when the invite adds a passkey to an existing staff member. */
      existing: boolean;
      /** Name given at enrolment (new staff only). */
      name: string;
    }
  | { purpose: 'login' };

/**
 * Pending WebAuthn challenges in Redis (`auth:challenge:{sha256}`), with a TTL, each consumable
 * exactly once (GETDEL): a replayed or unknown challenge is refused with `AUTH_CHALLENGE_INVALID`.
 */
export class ChallengeStore {
  private constructor(
    private readonly redis: RedisClient,
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  /** Creates the store; `ttlMs` is how long a challenge may be answered. */
  static async create(opts: { redis: RedisClient; clock: Clock; ttlMs: number }): Promise<ChallengeStore> {
    return new ChallengeStore(opts.redis, opts.clock, opts.ttlMs);
  }

  /** Remembers `challenge` (base64url, as sent to the browser) with its context. */
  async put(challenge: string, context: ChallengeContext): Promise<void> {
    const record = { ...context, expiresAt: this.clock.now() + this.ttlMs };
    await this.redis.set(authKeys.challenge(hashToken(challenge)), JSON.stringify(record), { expiration: { type: 'PX', value: this.ttlMs } });
  }

  /** Consumes `challenge` once and returns its context if it has `purpose`; throws AUTH_CHALLENGE_INVALID otherwise. */
  async take<P extends ChallengeContext['purpose']>(challenge: string, purpose: P): Promise<Extract<ChallengeContext, { purpose: P }>> {
    const raw = await this.redis.getDel(authKeys.challenge(hashToken(challenge)));
    if (raw) {
      const record = JSON.parse(String(raw)) as ChallengeContext & { expiresAt: number };
      if (record.purpose === purpose && record.expiresAt > this.clock.now()) {
        return record as unknown as Extract<ChallengeContext, { purpose: P }>;
      }
    }
    throw new AppError('AUTH_CHALLENGE_INVALID', '验证请求已失效或已被使用，请重试 (challenge unknown, expired or already used)', 400);
  }
}
