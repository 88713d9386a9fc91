import { actorOf } from '../audit/actorOf.js';
import { authorizeWithReason } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { caseFacts } from '../cases/caseFacts.js';
import { assertTransition } from '../cases/caseTransitions.js';
import type { CaseDeps } from '../cases/CaseDeps.js';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import { notifyCase } from '../cases/notifyCase.js';
import { queueKey } from './queueKey.js';

/**
 * Leave the queue: the applicant gives up waiting and the counter takes its case out of the queue
 * (`abandoned`). Authorize → close the case → record (audit event, queue removal) → notify.
 */
export async function leaveQueue(deps: CaseDeps, principal: Principal, caseId: string): Promise<CaseRecord> {
  const record = await deps.cases.update(caseId, (draft) => {
    authorizeWithReason(principal, 'queue.leave', { case: caseFacts(draft) });
    assertTransition(draft.state, 'abandoned');
    draft.state = 'abandoned';
    draft.closedAt = deps.clock().toISOString();
    draft.closeReason = '申请人离开队列';
    return {
      actor: actorOf(principal),
      action: 'case.abandoned',
      data: {},
      queue: { key: queueKey(draft), op: 'remove' },
    };
  });
  notifyCase(deps, record, { queueChanged: true });
  return record;
}
