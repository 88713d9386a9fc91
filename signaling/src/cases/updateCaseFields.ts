import { actorOf } from '../audit/actorOf.js';
import { authorizeFieldWrite, fieldOwner } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { parseInput } from '../catalog/parseInput.js';
import { AppError } from '../errors/AppError.js';
import { assertCaseState } from './assertCaseState.js';
import { caseFacts } from './caseFacts.js';
import type { CaseDeps } from './CaseDeps.js';
import { CaseFieldsPatch } from './CaseInputs.js';
import { CASE_LIMITS, type CaseRecord } from '@rvw/protocol/caseRecord';
import { notifyCase } from './notifyCase.js';

/**
 * Update fields: authorize (each key against its owner) → apply → record (audit event) → notify.
 * Either side edits the case fields it owns (policy: the authority's words — 办理意见, 办理结果 —
 * only by the holding clerk; the application form by both) against the version it saw; a stale version is refused with
 * CASE_VERSION_CONFLICT (409, `details.currentVersion`) so two regions never overwrite each other.
 */
export async function updateCaseFields(deps: CaseDeps, principal: Principal, caseId: string, patch: CaseFieldsPatch): Promise<CaseRecord> {
  const p = parseInput(CaseFieldsPatch, patch);
  const record = await deps.cases.update(
    caseId,
    (draft) => {
      // Checked here as well as at the edge: no caller of the use case writes another side's field.
      authorizeFieldWrite(principal, caseFacts(draft), [...Object.keys(p.set ?? {}), ...(p.remove ?? [])]);
      assertCaseState(draft, ['queued', 'in_session', 'pending_materials'], '修改办件信息');
      for (const key of p.remove ?? []) delete draft.fields[key];
      Object.assign(draft.fields, p.set ?? {});
      // Counted per owner: a counter filling the applicant's keys leaves room for 办理意见 and the rest of the authority's.
      const limit = CASE_LIMITS.fieldsPerOwner;
      for (const owner of ['applicant', 'authority'] as const) {
        if (Object.keys(draft.fields).filter((k) => fieldOwner(k) === owner).length > limit) {
          throw new AppError('CASE_TOO_MANY_FIELDS', `办件的${owner === 'applicant' ? '申请方' : '受理方'}字段不能超过 ${limit} 个`, 400, { limit, owner });
        }
      }
      return { actor: actorOf(principal), action: 'fields.updated', data: { set: p.set ?? {}, removed: p.remove ?? [] } };
    },
    { expectedVersion: p.expectedVersion },
  );
  notifyCase(deps, record);
  return record;
}
