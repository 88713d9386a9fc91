import { actorOf } from '../audit/actorOf.js';
import { authorizeRecordingAccess } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import { caseFacts } from './caseFacts.js';
import type { CaseDeps } from './CaseDeps.js';

/**
 * Records in the case's audit chain that `principal` looked at its recordings (the list, or one
 * segment by hash), in any state. Authorized inside the compare-and-set, like every case change.
 */
export async function recordRecordingView(deps: CaseDeps, principal: Principal, caseId: string, sha256?: string): Promise<CaseRecord> {
  return deps.cases.update(caseId, (draft) => {
    authorizeRecordingAccess(principal, caseFacts(draft));
    return { actor: actorOf(principal), action: 'recording.viewed', data: sha256 ? { sha256 } : {} };
  });
}
