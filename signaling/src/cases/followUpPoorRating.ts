import { actorOf } from '../audit/actorOf.js';
import { authorizeWithReason } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { parseInput } from '../catalog/parseInput.js';
import { AppError } from '../errors/AppError.js';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import { PoorRatingFollowUpInput } from '@rvw/protocol/stats';
import { caseFacts } from './caseFacts.js';
import type { CaseDeps } from './CaseDeps.js';

/**
 * 差评整改 (国办发〔2019〕51号: every 差评 is followed up): authorize (an administrator of the
 * region answerable for the side rated) → check there is a 差评 not yet followed up → record it on
 * the rating and in the audit chain. The case stays closed; only the rating gains its follow-up.
 */
export async function followUpPoorRating(deps: CaseDeps, principal: Principal, caseId: string, input: PoorRatingFollowUpInput): Promise<CaseRecord> {
  const f = parseInput(PoorRatingFollowUpInput, input);
  return deps.cases.update(caseId, (draft) => {
    authorizeWithReason(principal, 'rating.follow_up', { case: caseFacts(draft), target: f.target });
    const rating = draft.ratings[f.target];
    if (!rating || rating.score > 2) {
      throw new AppError('RATING_NOT_POOR', '此办件没有对该方的差评，无需整改', 409, { caseId, target: f.target });
    }
    if (rating.followUp) throw new AppError('RATING_ALREADY_FOLLOWED_UP', '此差评已填写整改情况', 409, { caseId, target: f.target });
    const actor = actorOf(principal);
    rating.followUp = { text: f.text, by: actor.id, at: deps.clock().toISOString() };
    return { actor, action: 'rating.followed_up', data: { target: f.target, score: rating.score, text: f.text } };
  });
}
