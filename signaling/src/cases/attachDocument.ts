import { documentTypesOf } from './documentTypesOf.js';
import { actorOf } from '../audit/actorOf.js';
import { authorizeParty } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { parseInput } from '../catalog/parseInput.js';
import { AppError } from '../errors/AppError.js';
import { assertCaseState } from './assertCaseState.js';
import { caseFacts } from './caseFacts.js';
import type { CaseDeps } from './CaseDeps.js';
import { AttachDocumentInput } from './CaseInputs.js';
import { CASE_LIMITS, type CaseRecord } from '@rvw/protocol/caseRecord';
import { notifyCase } from './notifyCase.js';

/**
 * The case's refusals of any new document, as a pure check: the holding clerk, a state that takes
 * documents, room under the per-case cap. issueDocument (issuing/) runs it BEFORE a number is taken or
 * anything is rendered and signed (the document's own refusals — a type the item does not issue,
 * a 容缺 notice without waived materials — come from buildDocumentInput, also before the number),
 * and attachDocument runs it again inside the conditional write (the case may move in between).
 */
export function assertCaseTakesDocuments(record: CaseRecord, principal: Principal): void {
  authorizeParty(principal, 'document.issue', caseFacts(record));
  assertCaseState(record, ['in_session', 'pending_materials'], '出具文书');
  if (record.documents.length >= CASE_LIMITS.documents) {
    throw new AppError('CASE_TOO_MANY_DOCUMENTS', `每个办件最多 ${CASE_LIMITS.documents} 份文书`, 409, { limit: CASE_LIMITS.documents });
  }
}

/**
 * Links a document the document service has issued (rendered, signed, stored but not yet
 * published) to the case, on behalf of the accepting clerk. The type must be one the item issues;
 * numbers are unique per case.
 */
export async function attachDocument(deps: CaseDeps, principal: Principal, caseId: string, input: AttachDocumentInput): Promise<CaseRecord> {
  const d = parseInput(AttachDocumentInput, input);
  const actor = actorOf(principal);
  const current = await deps.cases.require(caseId);
  authorizeParty(principal, 'document.issue', caseFacts(current));
  const item = await deps.catalog.require('item', current.itemCode);
  if (!documentTypesOf(item, current).includes(d.type)) {
    throw new AppError('DOCUMENT_TYPE_NOT_ISSUED', `事项“${item.name}”不出具此类文书（${d.type}）`, 400, { type: d.type, itemCode: item.code });
  }
  const record = await deps.cases.update(caseId, (draft) => {
    assertCaseTakesDocuments(draft, principal);
    if (draft.documents.some((x) => x.number === d.number)) {
      throw new AppError('CASE_DOCUMENT_DUPLICATE', `文书编号 ${d.number} 已在本办件中使用`, 409, { number: d.number });
    }
    draft.documents.push({ number: d.number, type: d.type, sha256: d.sha256, issuedAt: deps.clock().toISOString(), issuedBy: actor.id, signer: d.signer, ...(d.sample ? { sample: true } : {}) });
    return { actor, action: 'document.attached', data: { number: d.number, type: d.type, sha256: d.sha256, signer: d.signer } };
  });
  notifyCase(deps, record);
  return record;
}
