import { actorOf } from '../audit/actorOf.js';
import type { Principal } from '../auth/Principal.js';
import { assertTransition } from '../cases/caseTransitions.js';
import type { CaseDeps } from '../cases/CaseDeps.js';
import type { CaseRecord } from '../cases/CaseRecord.js';
import { notifyCase } from '../cases/notifyCase.js';
import { AppError } from '../errors/AppError.js';
import { queueKey } from './queueKey.js';

/**
 * A clerk of the serving region, assigned to the item, takes a queued case into session. The
 * queue removal, the state check and the record change are one compare-and-set script, so when
 * clerks race exactly one wins; the others get CASE_ALREADY_ACCEPTED (409).
 */
export async function acceptCase(deps: CaseDeps, principal: Principal, caseId: string): Promise<CaseRecord> {
  if (principal.kind !== 'staff' || principal.role !== 'clerk') throw new AppError('FORBIDDEN', '只有受理人员可以接入办件', 403);
  const clerk = principal;
  const record = await deps.cases.update(caseId, (draft) => {
    if (draft.servingRegion !== clerk.regionCode || !clerk.itemCodes.includes(draft.itemCode)) {
      throw new AppError('FORBIDDEN', '此办件不属于您负责的地区或事项', 403, { caseId });
    }
    if (draft.state !== 'queued' && draft.clerkId !== undefined) {
      // Losing a race re-reads the record and lands here, whatever the winner has done since.
      throw new AppError('CASE_ALREADY_ACCEPTED', '该办件已被其他受理人员接入', 409, { caseId, clerkId: draft.clerkId });
    }
    assertTransition(draft.state, 'in_session');
    const now = deps.clock().toISOString();
    draft.state = 'in_session';
    draft.clerkId = clerk.staffId;
    draft.acceptedAt = now;
    return {
      actor: actorOf(clerk),
      action: 'case.accepted',
      data: { clerkId: clerk.staffId, waitedSeconds: Math.round((Date.parse(now) - Date.parse(draft.createdAt)) / 1000) },
      queue: { key: queueKey(draft), op: 'remove' },
    };
  });
  // Estimates only: the case is accepted whatever happens to this write.
  await deps.queues.presence.busy(clerk.staffId, caseId).catch((e: unknown) => deps.log.warn({ err: e, caseId }, 'marking the clerk busy failed'));
  notifyCase(deps, record, { queueChanged: true });
  return record;
}
