import { actorOf } from '../audit/actorOf.js';
import { authorizeParty } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { sniffMime } from '../blobs/sniffMime.js';
import { parseInput } from '../catalog/parseInput.js';
import { AppError } from '../errors/AppError.js';
import { assertCaseState } from './assertCaseState.js';
import { assertMaterialCapacity } from './assertMaterialCapacity.js';
import { caseFacts } from './caseFacts.js';
import type { CaseDeps } from './CaseDeps.js';
import { SignatureInput } from './CaseInputs.js';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import { notifyCase } from './notifyCase.js';

/**
 * Confirm the signature: authorize (and every other check) → store the PNG → record (the
 * material, the signature, the audit event, re-checked on the current version) → notify.
 * The applicant signs the confirmation on the counter's touch screen: the PNG is stored as a
 * material of kind `signature` and becomes the case's applicant signature (a later one replaces it).
 */
export async function confirmSignature(deps: CaseDeps, principal: Principal, caseId: string, input: SignatureInput): Promise<CaseRecord> {
  const { png } = parseInput(SignatureInput, input);
  if (sniffMime(png) !== 'image/png') throw new AppError('MATERIAL_TYPE_UNSUPPORTED', '签名须为 PNG 图片', 415);
  const check = (record: CaseRecord) => {
    authorizeParty(principal, 'case.sign', caseFacts(record));
    assertCaseState(record, ['in_session', 'pending_materials'], '签字确认');
    assertMaterialCapacity(record, 'counter');
  };
  check(await deps.cases.require(caseId));
  const blob = await deps.blobs.put(png);

  const actor = actorOf(principal);
  const record = await deps.cases.update(caseId, (draft) => {
    check(draft);
    draft.materials.push({
      sha256: blob.sha256,
      kind: 'signature',
      mime: 'image/png',
      size: blob.size,
      name: '申请人签名',
      capturedAt: deps.clock().toISOString(),
      capturedBy: actor.id,
      side: 'counter',
    });
    draft.applicantSignatureSha256 = blob.sha256;
    // The signature confirms the application form as it stands now (#18): a later write unconfirms it.
    if (draft.form) draft.form.confirmed = { changes: draft.form.changes, signatureSha256: blob.sha256, at: deps.clock().toISOString() };
    return { actor, action: 'signature.confirmed', data: { sha256: blob.sha256, size: blob.size, ...(draft.form ? { formChanges: draft.form.changes } : {}) } };
  });
  notifyCase(deps, record);
  return record;
}
