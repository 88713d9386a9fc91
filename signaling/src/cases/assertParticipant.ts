import type { Principal } from '../auth/Principal.js';
import { AppError } from '../errors/AppError.js';
import type { CaseRecord } from './CaseRecord.js';

/** A side of a case session. */
export type CaseSide = 'counter' | 'clerk';

/**
 * Refuses FORBIDDEN (403) unless the principal is this case's counter or its accepting clerk, on
 * one of the allowed sides; returns the side. Defence in depth behind the auth policy module.
 */
export function assertParticipant(record: CaseRecord, principal: Principal, allowed: readonly CaseSide[]): CaseSide {
  let side: CaseSide | undefined;
  if (principal.kind === 'counter' && principal.counterId === record.counterId) side = 'counter';
  if (principal.kind === 'staff' && principal.role === 'clerk' && record.clerkId !== undefined && principal.staffId === record.clerkId) side = 'clerk';
  if (!side) throw new AppError('FORBIDDEN', '您不是此案件的办理方，无权进行此操作', 403, { caseId: record.id });
  if (!allowed.includes(side)) {
    const who = allowed.map((s) => (s === 'counter' ? '申请窗口' : '受理人员')).join('或');
    throw new AppError('FORBIDDEN', `此操作只能由${who}进行`, 403, { caseId: record.id, side });
  }
  return side;
}
