import { actorOf } from '../audit/actorOf';
import type { Principal } from '../auth/Principal';
import { assertParticipant } from '../cases/assertParticipant';
import { assertTransition } from '../cases/caseTransitions';
import type { CaseDeps } from '../cases/CaseDeps';
import type { CaseRecord } from '../cases/CaseRecord';
import { notifyCase } from '../cases/notifyCase';
import { queueKey } from './queueKey';

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
