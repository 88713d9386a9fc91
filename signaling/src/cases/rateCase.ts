import { actorOf } from '../audit/actorOf.js';
import { authorizeParty } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { parseInput } from '../catalog/parseInput.js';
import { AppError } from '../errors/AppError.js';
import { assertCaseState } from './assertCaseState.js';
import { caseFacts } from './caseFacts.js';
import type { CaseDeps } from './CaseDeps.js';
import { RatingInput } from './CaseInputs.js';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import { notifyCase } from './notifyCase.js';

/**
 * Rate (好差评): authorize → store the rating → record (audit event) → notify. The applicant, at
 * the counter, rates the remote clerk and the local counter service separately, once each. Only after the case is closed (completed or rejected): the rating is of
 * the outcome, and a rejected applicant's rating is the one that matters most.
 */
export async function rateCase(deps: CaseDeps, principal: Principal, caseId: string, input: RatingInput): Promise<CaseRecord> {
  const r = parseInput(RatingInput, input);
  const record = await deps.cases.update(caseId, (draft) => {
    authorizeParty(principal, 'rating.submit', caseFacts(draft));
    assertCaseState(draft, ['completed', 'rejected'], '评价（请在办结后评价）');
    if (draft.ratings[r.target]) {
      throw new AppError('CASE_ALREADY_RATED', '已评价过，不能重复评价', 409, { target: r.target });
    }
    draft.ratings[r.target] = { score: r.score, ...(r.comment ? { comment: r.comment } : {}), at: deps.clock().toISOString() };
    return { actor: actorOf(principal), action: 'case.rated', data: { target: r.target, score: r.score, ...(r.comment ? { comment: r.comment } : {}) } };
  });
  notifyCase(deps, record);
  return record;
}
