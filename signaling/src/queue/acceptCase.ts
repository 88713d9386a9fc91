import { actorOf } from '../audit/actorOf.js';
import { authorizeWithReason } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { caseFacts } from '../cases/caseFacts.js';
import { assertTransition } from '../cases/caseTransitions.js';
import type { CaseDeps } from '../cases/CaseDeps.js';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import { notifyCase } from '../cases/notifyCase.js';
import { AppError } from '../errors/AppError.js';
import { queueKey } from './queueKey.js';

/**
 * Accept a case: a clerk of the serving region, assigned to the item, takes a queued case into
 * session. Authorize → take it → record (audit event, queue removal) → notify. The authorization,
 * the state check and the record change are one compare-and-set on the current version, so when
 * clerks race exactly one wins; the others get CASE_ALREADY_ACCEPTED (409).
 */
export async function acceptCase(deps: CaseDeps, principal: Principal, caseId: string): Promise<CaseRecord> {
  // 示忙: a paused clerk takes nobody new (its page hides 接入; this answers a stale or crafted one).
  if (principal.kind === 'staff' && principal.role === 'clerk' && (await deps.queues.presence.pausedSince(principal.staffId)) !== null) {
    throw new AppError('CLERK_PAUSED', '您当前处于示忙状态，请先点击“示闲”再接入申请人', 409, { staffId: principal.staffId });
  }
  const record = await deps.cases.update(caseId, (draft) => {
    authorizeWithReason(principal, 'queue.accept', { case: caseFacts(draft) });
    if (draft.state !== 'queued' && draft.clerkId !== undefined) {
      // Losing a race re-reads the record and lands here, whatever the winner has done since.
      throw new AppError('CASE_ALREADY_ACCEPTED', '该办件已被其他受理人员接入', 409, { caseId, clerkId: draft.clerkId });
    }
    assertTransition(draft.state, 'in_session');
    const actor = actorOf(principal);
    const now = deps.clock().toISOString();
    draft.state = 'in_session';
    draft.clerkId = actor.id;
    draft.acceptedAt = now;
    return {
      actor,
      action: 'case.accepted',
      data: { clerkId: actor.id, waitedSeconds: Math.round((Date.parse(now) - Date.parse(draft.createdAt)) / 1000) },
      queue: { key: queueKey(draft), op: 'remove' },
    };
  });
  // Estimates only: the case is accepted whatever happens to this write.
  if (record.clerkId) await deps.queues.presence.busy(record.clerkId, caseId).catch((e: unknown) => deps.log.warn({ err: e, caseId }, 'marking the clerk busy failed'));
  notifyCase(deps, record, { queueChanged: true });
  return record;
}
