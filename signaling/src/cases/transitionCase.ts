import { actorOf } from '../audit/actorOf.js';
import { authorizeParty } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { parseInput } from '../catalog/parseInput.js';
import { AppError } from '../errors/AppError.js';
import { caseFacts } from './caseFacts.js';
import type { CaseDeps } from './CaseDeps.js';
import { TransitionInput } from './CaseInputs.js';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import { assertTransition } from './caseTransitions.js';
import { notifyCase } from './notifyCase.js';

/**
 * Transition: authorize → move the state → record (audit event; on closing, the handling time and
 * the clerk freed, for the queue's estimates) → notify. The holding clerk moves the case: request
 * materials (补正), materials received, suspend, resume, complete (办结) or reject. Completion needs every mandatory material provided or waived (容缺)
 * and the applicant's signature.
 */
export async function transitionCase(deps: CaseDeps, principal: Principal, caseId: string, input: TransitionInput): Promise<CaseRecord> {
  const t = parseInput(TransitionInput, input);
  const record = await deps.cases.update(
    caseId,
    (draft) => {
      authorizeParty(principal, 'case.transition', caseFacts(draft));
      const from = draft.state;
      assertTransition(from, t.to);
      if (t.to === 'completed') assertReadyToComplete(draft);
      const now = deps.clock().toISOString();
      draft.state = t.to;
      if (t.to === 'completed' || t.to === 'rejected') {
        draft.closedAt = now;
        draft.closeReason = t.reason ?? (t.to === 'completed' ? '办结' : undefined);
        delete draft.stateReason;
      } else if (t.reason !== undefined) {
        draft.stateReason = t.reason;
      } else {
        delete draft.stateReason;
      }
      return { actor: actorOf(principal), action: `case.${t.to}`, data: { from, to: t.to, ...(t.reason ? { reason: t.reason } : {}) } };
    },
    t.expectedVersion === undefined ? {} : { expectedVersion: t.expectedVersion },
  );
  if ((record.state === 'completed' || record.state === 'rejected') && record.acceptedAt && record.closedAt) {
    const seconds = (Date.parse(record.closedAt) - Date.parse(record.acceptedAt)) / 1000;
    // Estimates only; the case is already closed, so a failure here must not fail the request.
    await deps.queues.recordHandlingTime(record, seconds).catch((e: unknown) => {
      deps.log.warn({ err: e, caseId }, 'recording the handling time failed');
    });
  }
  if ((record.state === 'completed' || record.state === 'rejected') && record.clerkId) {
    // The clerk is free for the next applicant (wait estimates only; never fails the request).
    await deps.queues.presence.free(record.clerkId, caseId).catch((e: unknown) => deps.log.warn({ err: e, caseId }, 'freeing the clerk failed'));
  }
  // A closed case frees its clerk: the counters waiting for that item get a new estimate.
  notifyCase(deps, record, record.state === 'completed' || record.state === 'rejected' ? { queueChanged: true } : undefined);
  return record;
}

function assertReadyToComplete(record: CaseRecord): void {
  const missing = record.checklist.filter((c) => c.mandatory && c.status === 'missing');
  if (missing.length > 0) {
    throw new AppError('CASE_CHECKLIST_INCOMPLETE', `必要材料尚未提供或容缺受理：${missing.map((c) => c.name).join('、')}`, 409, {
      missing: missing.map((c) => c.materialId),
    });
  }
  if (!record.applicantSignatureSha256) {
    throw new AppError('CASE_SIGNATURE_REQUIRED', '办结前须由申请人在窗口屏幕上签字确认', 409);
  }
}
