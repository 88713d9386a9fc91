import type { Principal } from '../auth/Principal.js';
import { AppError } from '../errors/AppError.js';
import type { AuditActor } from './AuditEvent.js';

/** The audit actor for a principal; anonymous principals never act on a case. */
export function actorOf(principal: Principal): AuditActor {
  switch (principal.kind) {
    case 'counter':
      return { id: principal.counterId, role: 'counter', region: principal.regionCode };
    case 'staff':
      return principal.role === 'clerk'
        ? { id: principal.staffId, role: 'clerk', region: principal.regionCode }
        : { id: principal.staffId, role: 'admin', region: principal.regionCodes.join(',') };
    case 'anonymous':
      throw new AppError('UNAUTHENTICATED', '请先登录 (sign in first)', 401);
    default: {
      const unreachable: never = principal;
      throw new Error(`unknown principal ${JSON.stringify(unreachable)}`);
    }
  }
}
