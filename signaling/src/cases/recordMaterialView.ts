import { actorOf } from '../audit/actorOf.js';
import { authorizeWithReason } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { AppError } from '../errors/AppError.js';
import type { CaseMaterial, CaseRecord } from '@rvw/protocol/caseRecord';
import { caseFacts } from './caseFacts.js';
import type { CaseDeps } from './CaseDeps.js';

/**
 * Records in the case's audit chain that an administrator opened its `index`-th material from the
 * archive's case page (`archive.material.read`), before the bytes are given out: a look at an ID
 * card is never unrecorded. Authorized inside the compare-and-set, in any state of the case; a
 * case only the archive holds comes back into Redis for it (CaseStore). Answers the material.
 */
export async function recordMaterialView(deps: CaseDeps, principal: Principal, caseId: string, index: number): Promise<{ record: CaseRecord; material: CaseMaterial }> {
  let material: CaseMaterial | undefined;
  const record = await deps.cases.update(caseId, (draft) => {
    authorizeWithReason(principal, 'archive.material.read', { case: caseFacts(draft) });
    material = Number.isSafeInteger(index) && index >= 0 ? draft.materials[index] : undefined;
    if (!material) throw new AppError('MATERIAL_NOT_FOUND', '该办件中没有这份材料', 404, { caseId });
    return { actor: actorOf(principal), action: 'material.viewed', data: { index, name: material.name, kind: material.kind } };
  });
  return { record, material: material! };
}
