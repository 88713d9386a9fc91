import { actorOf } from '../audit/actorOf.js';
import { authorizeWithReason } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import { caseFacts } from './caseFacts.js';
import type { CaseDeps } from './CaseDeps.js';

/**
 * Records in the case's audit chain that an administrator read its conversation from the
 * archive's case page (`archive.chat.read`), before a line is given out: the chat carries what the
 * applicant said and showed. Authorized inside the compare-and-set, in any state of the case.
 * Answers the record as committed, whose chat is what was read.
 */
export async function recordChatView(deps: CaseDeps, principal: Principal, caseId: string): Promise<CaseRecord> {
  return deps.cases.update(caseId, (draft) => {
    authorizeWithReason(principal, 'archive.chat.read', { case: caseFacts(draft) });
    return { actor: actorOf(principal), action: 'chat.viewed', data: { lines: draft.chat.length } };
  });
}
