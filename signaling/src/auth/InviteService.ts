import { AppError } from '../errors/AppError.js';
import type { RedisClient } from '../store/redisClient.js';
import { authKeys } from './authKeys.js';
import type { Clock } from './Clock.js';
import { hashToken } from './hashToken.js';
import { ANY_REGION, authorize, can, requireAdmin } from './policy.js';
import type { Principal } from './Principal.js';
import { randomToken } from './randomToken.js';
import { staffRegions } from './staffRegions.js';
import type { StaffScope, StaffStore } from './StaffStore.js';
import type { IssuedInvite, PendingInvite } from '@rvw/protocol/admin';
export type { IssuedInvite, PendingInvite };


/** What an administrator asks for: a new clerk, a new admin, or one more passkey for existing staff. */
export type InviteRequest =
  | { role: 'clerk'; regionCode: string; itemCodes: string[] }
  | { role: 'admin'; regionCodes: string[] }
  | { staffId: string };

/** A stored invite (the token itself is never stored, only its SHA-256). */
export interface InviteRecord {
  tokenHash: string;
  /** Scope granted to a new staff member; absent when the invite is for existing `staffId`. */
  scope?: StaffScope;
  /** Existing staff member who gets an additional passkey. */
  staffId?: string;
  /** Staff id of the inviting admin, or `bootstrap`. */
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  bootstrap: boolean;
  usedAt?: number;
}



/**
 * One-time, expiring staff invites (`auth:invite:{sha256(token)}`, Redis TTL) and the bootstrap
 * invite for the first administrator (scope `regionCodes: ['*']`, i.e. a provincial admin managing
 * every region), which exists only while no enabled administrator exists.
 */
export class InviteService {
  private constructor(
    private readonly redis: RedisClient,
    private readonly clock: Clock,
    private readonly staff: StaffStore,
    private readonly ttlMs: number,
    private readonly publicOrigin: string,
  ) {}

  /** Creates the service; `ttlMs` is the invite lifetime (default policy 72 h). */
  static async create(opts: { redis: RedisClient; clock: Clock; staff: StaffStore; ttlMs: number; publicOrigin: string }): Promise<InviteService> {
    return new InviteService(opts.redis, opts.clock, opts.staff, opts.ttlMs, opts.publicOrigin.replace(/\/$/, ''));
  }

  /** Creates an invite on behalf of `actor` (an admin managing every region of the invite). */
  async createInvite(actor: Principal, request: InviteRequest): Promise<IssuedInvite> {
    if ('staffId' in request) {
      requireAdmin(actor);
      const target = await this.staff.getStaff(request.staffId);
      if (!target) throw new AppError('STAFF_NOT_FOUND', '未找到该工作人员 (staff not found)', 404);
      authorize(actor, 'staff.invite', { regionCodes: staffRegions(target) });
      if (target.disabled) throw new AppError('AUTH_STAFF_DISABLED', '该工作人员已被停用 (staff member is disabled)', 409);
      return this.issue({ staffId: target.id, createdBy: staffIdOf(actor), bootstrap: false });
    }
    const scope: StaffScope =
      request.role === 'admin'
        ? { role: 'admin', regionCodes: [...new Set(request.regionCodes)] }
        : { role: 'clerk', regionCode: request.regionCode, itemCodes: [...new Set(request.itemCodes)] };
    authorize(actor, 'staff.invite', { regionCodes: staffRegions(scope) });
    return this.issue({ scope, createdBy: staffIdOf(actor), bootstrap: false });
  }

  /**
   * While no enabled administrator exists, replaces any previous bootstrap invite with a fresh one
   * (scope: admin of `['*']`) and returns its link for the start script to print once; otherwise
   * returns undefined. Only the most recently printed bootstrap link works.
   */
  async ensureBootstrapInvite(): Promise<IssuedInvite | undefined> {
    if (await this.staff.hasEnabledAdmin()) return undefined;
    const previous = await this.redis.get(authKeys.bootstrapInvite());
    if (previous) await this.redis.del(authKeys.invite(String(previous)));
    const issued = await this.issue({ scope: { role: 'admin', regionCodes: [ANY_REGION] }, createdBy: 'bootstrap', bootstrap: true });
    await this.redis.set(authKeys.bootstrapInvite(), issued.tokenHash, { expiration: { type: 'PX', value: this.ttlMs } });
    return { url: issued.url, expiresAt: issued.expiresAt };
  }

  /**
   * The pending invites `actor` may manage (an admin of every region the invite grants, or of the
   * staff member it adds a passkey to), newest first. Used, expired and voided invites are left out.
   */
  async listPending(actor: Principal): Promise<PendingInvite[]> {
    requireAdmin(actor);
    const now = this.clock.now();
    await this.redis.zRemRangeByScore(authKeys.invites(), '-inf', now);
    const hashes = await this.redis.zRange(authKeys.invites(), 0, -1);
    const rows = await Promise.all(hashes.map(async (tokenHash) => ({ tokenHash, h: await this.redis.hGetAll(authKeys.invite(tokenHash)) })));
    const pending: PendingInvite[] = [];
    for (const { tokenHash, h } of rows) {
      if (!h.createdBy || !h.expiresAt) {
        await this.redis.zRem(authKeys.invites(), tokenHash);
        continue;
      }
      if (h.usedAt || Number(h.expiresAt) <= now) continue;
      // A disabled administrator's invites are void (inspect refuses them): not pending either.
      if (h.createdBy !== 'bootstrap') {
        const inviter = await this.staff.getStaff(h.createdBy);
        if (!inviter || inviter.disabled) continue;
      }
      const scope = h.scope ? (JSON.parse(h.scope) as StaffScope) : undefined;
      const target = h.staffId ? await this.staff.getStaff(h.staffId) : undefined;
      const regions = scope ? staffRegions(scope) : target ? staffRegions(target) : [];
      if (!can(actor, 'staff.invite', { regionCodes: regions })) continue;
      pending.push({
        id: tokenHash,
        createdBy: h.createdBy,
        createdAt: Number(h.createdAt ?? 0),
        expiresAt: Number(h.expiresAt),
        bootstrap: h.bootstrap === '1',
        ...(scope ? { scope } : {}),
        ...(h.staffId ? { staffId: h.staffId } : {}),
        ...(target ? { staffName: target.name } : {}),
      });
    }
    return pending.sort((a, b) => b.createdAt - a.createdAt);
  }

  /**
   * Revokes a pending invite: its link stops working at once. Only an admin who could have issued
   * it may; an unknown, used or expired invite is INVITE_NOT_FOUND (404) to everyone.
   */
  async revoke(actor: Principal, id: string): Promise<{ id: string }> {
    requireAdmin(actor);
    const notFound = new AppError('INVITE_NOT_FOUND', '该邀请不存在、已被使用或已过期', 404);
    if (!/^[A-Za-z0-9_-]{20,128}$/.test(id)) throw notFound;
    const h = await this.redis.hGetAll(authKeys.invite(id));
    if (!h.createdBy || !h.expiresAt || h.usedAt || Number(h.expiresAt) <= this.clock.now()) throw notFound;
    const scope = h.scope ? (JSON.parse(h.scope) as StaffScope) : undefined;
    const target = h.staffId ? await this.staff.getStaff(h.staffId) : undefined;
    const regions = scope ? staffRegions(scope) : target ? staffRegions(target) : [];
    authorize(actor, 'staff.invite', { regionCodes: regions });
    await this.redis.multi().del(authKeys.invite(id)).zRem(authKeys.invites(), id).exec();
    if (h.bootstrap === '1' && (await this.redis.get(authKeys.bootstrapInvite())) === id) await this.redis.del(authKeys.bootstrapInvite());
    return { id };
  }

  /** The live invite for `token`; throws AUTH_INVITE_INVALID / AUTH_INVITE_USED / AUTH_INVITE_EXPIRED. */
  async inspect(token: string): Promise<InviteRecord> {
    const tokenHash = hashToken(token);
    const h = await this.redis.hGetAll(authKeys.invite(tokenHash));
    if (!h.createdBy || !h.expiresAt) throw invalid();
    if (h.usedAt) throw new AppError('AUTH_INVITE_USED', '该邀请链接已被使用，请联系管理员重新邀请 (invite already used)', 410);
    const expiresAt = Number(h.expiresAt);
    if (expiresAt <= this.clock.now()) throw new AppError('AUTH_INVITE_EXPIRED', '该邀请链接已过期，请联系管理员重新邀请 (invite expired)', 410);
    if (h.createdBy !== 'bootstrap') {
      // An invite dies with its inviter: a disabled administrator's outstanding invites are void.
      const inviter = await this.staff.getStaff(h.createdBy);
      if (!inviter || inviter.disabled) throw invalid();
    }
    return {
      tokenHash,
      createdBy: h.createdBy,
      createdAt: Number(h.createdAt ?? 0),
      expiresAt,
      bootstrap: h.bootstrap === '1',
      ...(h.scope ? { scope: JSON.parse(h.scope) as StaffScope } : {}),
      ...(h.staffId ? { staffId: h.staffId } : {}),
    };
  }

  private async issue(input: { scope?: StaffScope; staffId?: string; createdBy: string; bootstrap: boolean }): Promise<IssuedInvite & { tokenHash: string }> {
    const token = randomToken();
    const tokenHash = hashToken(token);
    const now = this.clock.now();
    const expiresAt = now + this.ttlMs;
    const fields: Record<string, string> = {
      createdBy: input.createdBy,
      createdAt: String(now),
      expiresAt: String(expiresAt),
      bootstrap: input.bootstrap ? '1' : '0',
    };
    if (input.scope) fields.scope = JSON.stringify(input.scope);
    if (input.staffId) fields.staffId = input.staffId;
    const key = authKeys.invite(tokenHash);
    await this.redis.multi().hSet(key, fields).pExpire(key, this.ttlMs).zAdd(authKeys.invites(), { score: expiresAt, value: tokenHash }).exec();
    return { url: `${this.publicOrigin}/enroll.html#${token}`, expiresAt, tokenHash };
  }
}

function staffIdOf(p: Principal): string {
  return p.kind === 'staff' ? p.staffId : 'unknown';
}

function invalid(): AppError {
  return new AppError('AUTH_INVITE_INVALID', '邀请链接无效，请核对链接或联系管理员 (invite unknown or void)', 404);
}
