import { AppError } from '../errors/AppError.js';
import type { Clock } from './Clock.js';
import { authorize, can, requireAdmin } from './policy.js';
import type { Principal } from './Principal.js';
import type { RevocationBus } from './RevocationBus.js';
import type { SessionStore } from './SessionStore.js';
import { staffRegions } from './staffRegions.js';
import type { CredentialRecord, StaffRecord, StaffScope, StaffStore } from './StaffStore.js';
import type { CredentialView, StaffView } from '@rvw/protocol/admin';
export type { CredentialView, StaffView };




/**
 * Administrator operations on staff: list (only staff entirely within the admin's regions),
 * disable a member, revoke a passkey. Both take effect at once: the member's sessions are deleted
 * and a RevocationEvent is published so open WebSocket connections get closed.
 */
export class StaffAdmin {
  private constructor(
    private readonly staff: StaffStore,
    private readonly sessions: SessionStore,
    private readonly revocations: RevocationBus,
    private readonly clock: Clock,
  ) {}

  /** Creates the service. */
  static async create(opts: { staff: StaffStore; sessions: SessionStore; revocations: RevocationBus; clock: Clock }): Promise<StaffAdmin> {
    return new StaffAdmin(opts.staff, opts.sessions, opts.revocations, opts.clock);
  }

  /** Staff `actor` may see (`staff.list` on every region of the member), by name-independent id order. */
  async listStaff(actor: Principal): Promise<StaffView[]> {
    requireAdmin(actor);
    const all = await this.staff.listStaff();
    const visible = all.filter((s) => can(actor, 'staff.list', { regionCodes: staffRegions(s) }));
    const views = await Promise.all(visible.map((s) => this.view(s)));
    return views.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  /** Disables staff member `staffId` (not oneself) and ends all their sessions now. */
  async disableStaff(actor: Principal, staffId: string): Promise<StaffView> {
    requireAdmin(actor);
    const target = await this.staff.getStaff(staffId);
    if (!target) throw new AppError('STAFF_NOT_FOUND', '未找到该工作人员 (staff not found)', 404);
    authorize(actor, 'staff.revoke', { regionCodes: staffRegions(target) });
    if (target.id === actor.staffId) throw new AppError('STAFF_SELF_DISABLE', '不能停用自己的账号 (cannot disable yourself)', 400);
    const now = this.clock.now();
    await this.staff.disableStaff(staffId, now);
    await this.sessions.destroyAllForStaff(staffId);
    await this.revocations.publish({ kind: 'staff', staffId, reason: 'staff.disabled' });
    return this.view({ ...target, disabled: true, disabledAt: now });
  }

  /** Revokes one passkey and ends all sessions of its owner now (they may sign in with another passkey). */
  async revokeCredential(actor: Principal, credentialId: string): Promise<CredentialView> {
    requireAdmin(actor);
    const cred = await this.staff.getCredential(credentialId);
    const owner = cred ? await this.staff.getStaff(cred.staffId) : undefined;
    if (!cred || !owner) throw new AppError('CREDENTIAL_NOT_FOUND', '未找到该通行密钥 (passkey not found)', 404);
    authorize(actor, 'staff.revoke', { regionCodes: staffRegions(owner) });
    if (actor.kind === 'staff' && actor.staffId === owner.id && !cred.revoked) {
      const usable = (await this.staff.listCredentials(owner.id)).filter((c) => !c.revoked);
      if (usable.length <= 1) {
        throw new AppError('STAFF_SELF_LOCKOUT', '不能吊销自己唯一的通行密钥，否则将无法再登录 (add another passkey first)', 409);
      }
    }
    const now = this.clock.now();
    await this.staff.revokeCredential(credentialId, now);
    await this.sessions.destroyAllForStaff(owner.id);
    await this.revocations.publish({ kind: 'staff', staffId: owner.id, reason: 'credential.revoked', credentialId });
    return credentialView({ ...cred, revoked: true, revokedAt: now });
  }

  private async view(s: StaffRecord): Promise<StaffView> {
    const credentials = (await this.staff.listCredentials(s.id)).map(credentialView);
    const scope: StaffScope = s.role === 'admin' ? { role: 'admin', regionCodes: s.regionCodes } : { role: 'clerk', regionCode: s.regionCode, itemCodes: s.itemCodes };
    return {
      ...scope,
      id: s.id,
      name: s.name,
      disabled: s.disabled,
      createdAt: s.createdAt,
      ...(s.disabledAt !== undefined ? { disabledAt: s.disabledAt } : {}),
      credentials,
    };
  }
}

function credentialView(c: CredentialRecord): CredentialView {
  return {
    credentialId: c.credentialId,
    createdAt: c.createdAt,
    revoked: c.revoked,
    transports: c.transports,
    ...(c.lastUsedAt !== undefined ? { lastUsedAt: c.lastUsedAt } : {}),
    ...(c.revokedAt !== undefined ? { revokedAt: c.revokedAt } : {}),
  };
}
