import { actorOf } from '../audit/actorOf.js';
import { authorizeParty } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { chinaStandardTime } from '../catalog/chinaStandardTime.js';
import { parseInput } from '../catalog/parseInput.js';
import { AppError } from '../errors/AppError.js';
import { assertCaseState } from './assertCaseState.js';
import { caseFacts } from './caseFacts.js';
import type { CaseDeps } from './CaseDeps.js';
import { WaiveMaterialInput } from './CaseInputs.js';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import { notifyCase } from './notifyCase.js';

/**
 * Waive a material (容缺受理): authorize → mark the line waived → record (audit event) → notify.
 * The holding clerk accepts a missing mandatory material with a note and a deadline (today or
 * later, Beijing time), and the case goes on; capturing the material later ticks it `provided`.
 */
export async function waiveMaterial(deps: CaseDeps, principal: Principal, caseId: string, input: WaiveMaterialInput): Promise<CaseRecord> {
  const w = parseInput(WaiveMaterialInput, input);
  const actor = actorOf(principal);
  const record = await deps.cases.update(caseId, (draft) => {
    authorizeParty(principal, 'material.waive', caseFacts(draft));
    assertCaseState(draft, ['in_session', 'pending_materials'], '容缺受理');
    const line = draft.checklist.find((c) => c.materialId === w.materialId);
    if (!line) throw new AppError('CASE_MATERIAL_NOT_IN_CHECKLIST', `材料清单中没有 ${w.materialId}`, 400, { materialId: w.materialId });
    if (!line.mandatory) {
      throw new AppError('CASE_WAIVER_NOT_MANDATORY', `“${line.name}”不是必要材料，无需容缺受理`, 409, { materialId: w.materialId });
    }
    if (line.status === 'provided') {
      throw new AppError('CASE_MATERIAL_ALREADY_PROVIDED', `“${line.name}”已提供，无需容缺受理`, 409, { materialId: w.materialId });
    }
    const now = deps.clock();
    if (w.deadline < chinaStandardTime(now).date) {
      throw new AppError('CASE_WAIVER_DEADLINE_PAST', '补交期限不能早于今天', 400, { deadline: w.deadline });
    }
    // Waiving again (a new deadline) replaces the previous waiver; the audit chain keeps both.
    line.status = 'waived';
    line.waiver = { note: w.note, deadline: w.deadline, by: actor.id, at: now.toISOString() };
    return { actor, action: 'material.waived', data: { materialId: w.materialId, note: w.note, deadline: w.deadline } };
  });
  notifyCase(deps, record);
  return record;
}
