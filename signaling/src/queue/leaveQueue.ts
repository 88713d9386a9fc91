import { actorOf } from '../audit/actorOf.js';
import type { Principal } from '../auth/Principal.js';
import { assertParticipant } from '../cases/assertParticipant.js';
import { assertTransition } from '../cases/caseTransitions.js';
import type { CaseDeps } from '../cases/CaseDeps.js';
import type { CaseRecord } from '../cases/CaseRecord.js';
import { notifyCase } from '../cases/notifyCase.js';
import { queueKey } from './queueKey.js';

/** The applicant gives up waiting: the counter takes its case out of the queue (`abandoned`). */
export async function leaveQueue(deps: CaseDeps, principal: Principal, caseId: string): Promise<CaseRecord> {
  const record = await deps.cases.update(caseId, (draft) => {
    assertParticipant(draft, principal, ['counter']);
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
