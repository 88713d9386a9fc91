import { actorOf } from '../audit/actorOf.js';
import { authorizeWithReason } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import { caseFacts } from './caseFacts.js';
import type { CaseDeps } from './CaseDeps.js';

/**
 * Records in the case's audit chain that its evidence bundle is being taken out (who, when), in
 * any state: the bundle then carries its own export as the chain's last event. Authorized inside
 * the compare-and-set, like every case change.
 */
export async function recordEvidenceExport(deps: CaseDeps, principal: Principal, caseId: string): Promise<CaseRecord> {
  return deps.cases.update(caseId, (draft) => {
    authorizeWithReason(principal, 'evidence.export', { case: caseFacts(draft) });
    return { actor: actorOf(principal), action: 'evidence.exported', data: {} };
  });
}
