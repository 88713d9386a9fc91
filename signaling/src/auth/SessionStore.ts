import type { RedisClient } from '../store/redisClient.js';
import { authKeys } from './authKeys.js';
import type { Clock } from './Clock.js';
import { hashToken } from './hashToken.js';
import { randomToken } from './randomToken.js';

/** A staff session as stored under `auth:session:{sha256(sessionId)}`. */
export interface SessionRecord {
  staffId: string;
  /** The passkey the session was established with. */
  credentialId: string;
  createdAt: number;
  lastSeenAt: number;
  absoluteExpiresAt: number;
}

/** Outcome of {@link SessionStore.resolve}. */
export type SessionLookup =
  | { ok: true; session: SessionRecord }
  | { ok: false; reason: 'AUTH_SESSION_INVALID' | 'AUTH_SESSION_EXPIRED' };

// Expired records linger this long after their deadline so a late request is told
// AUTH_SESSION_EXPIRED rather than AUTH_SESSION_INVALID; they are refused either way.
const GRACE_MS = 10 * 60_000;

/**
 * Opaque staff sessions in Redis: the cookie holds a random id, Redis only its SHA-256. Sliding
 * idle timeout plus an absolute timeout, both judged by the injected clock.
 */
export class SessionStore {
  private constructor(
    private readonly redis: RedisClient,
    private readonly clock: Clock,
    private readonly idleMs: number,
    private readonly absoluteMs: number,
  ) {}

  /** Creates the store with the idle (sliding) and absolute session lifetimes. */
  static async create(opts: { redis: RedisClient; clock: Clock; idleMs: number; absoluteMs: number }): Promise<SessionStore> {
    return new SessionStore(opts.redis, opts.clock, opts.idleMs, opts.absoluteMs);
  }

  /** Absolute session lifetime (used as the cookie Max-Age). */
  get absoluteLifetimeMs(): number {
    return this.absoluteMs;
  }

  /** Starts a session for a staff member who just proved `credentialId`; returns the secret id for the cookie. */
  async createSession(staffId: string, credentialId: string): Promise<{ sessionId: string; session: SessionRecord }> {
    const sessionId = randomToken();
    const hash = hashToken(sessionId);
    const now = this.clock.now();
    const session: SessionRecord = { staffId, credentialId, createdAt: now, lastSeenAt: now, absoluteExpiresAt: now + this.absoluteMs };
    const key = authKeys.session(hash);
    await this.redis
      .multi()
      .hSet(key, {
        staffId,
        credentialId,
        createdAt: String(now),
        lastSeenAt: String(now),
        absoluteExpiresAt: String(session.absoluteExpiresAt),
      })
      .pExpire(key, Math.min(this.idleMs, this.absoluteMs) + GRACE_MS)
      .sAdd(authKeys.staffSessions(staffId), hash)
      .pExpire(authKeys.staffSessions(staffId), this.absoluteMs + GRACE_MS)
      .exec();
    return { sessionId, session };
  }

  /** Looks a session up by its secret id and, when alive, slides its idle deadline. */
  async resolve(sessionId: string): Promise<SessionLookup> {
    const hash = hashToken(sessionId);
    const key = authKeys.session(hash);
    const h = await this.redis.hGetAll(key);
    if (!h.staffId || !h.credentialId) return { ok: false, reason: 'AUTH_SESSION_INVALID' };
    const session: SessionRecord = {
      staffId: h.staffId,
      credentialId: h.credentialId,
      createdAt: Number(h.createdAt),
      lastSeenAt: Number(h.lastSeenAt),
      absoluteExpiresAt: Number(h.absoluteExpiresAt),
    };
    const now = this.clock.now();
    if (!(now - session.lastSeenAt < this.idleMs) || !(now < session.absoluteExpiresAt)) {
      await this.redis.multi().del(key).sRem(authKeys.staffSessions(session.staffId), hash).exec();
      return { ok: false, reason: 'AUTH_SESSION_EXPIRED' };
    }
    const ttl = Math.min(this.idleMs, session.absoluteExpiresAt - now) + GRACE_MS;
    await this.redis.multi().hSet(key, 'lastSeenAt', String(now)).pExpire(key, ttl).exec();
    return { ok: true, session: { ...session, lastSeenAt: now } };
  }

  /** Ends one session (logout). */
  async destroy(sessionId: string): Promise<void> {
    const hash = hashToken(sessionId);
    const key = authKeys.session(hash);
    const staffId = await this.redis.hGet(key, 'staffId');
    const tx = this.redis.multi().del(key);
    if (staffId) tx.sRem(authKeys.staffSessions(String(staffId)), hash);
    await tx.exec();
  }

  /** Ends every session of a staff member (disable / passkey revocation); returns how many were deleted. */
  async destroyAllForStaff(staffId: string): Promise<number> {
    const setKey = authKeys.staffSessions(staffId);
    const hashes = await this.redis.sMembers(setKey);
    if (hashes.length === 0) return 0;
    const replies = await this.redis
      .multi()
      .del(hashes.map((h) => authKeys.session(h)))
      .del(setKey)
      .exec();
    return Number(replies[0] ?? 0);
  }
}
