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
import { CaptureMaterialInput } from './CaseInputs.js';
import { materialSide, type CaseRecord } from '@rvw/protocol/caseRecord';
import { notifyCase } from './notifyCase.js';

/**
 * Capture a material: authorize (and every other check) → charge the budget and store the bytes →
 * record (material, checklist line and audit event, re-checked on the current version) → notify.
 * Either side adds a material in session: a document-camera snapshot or an upload. The bytes go to
 * the BlobStore (content-addressed, durable before the record refers to them), the record gets the
 * SHA-256, and a named checklist line is ticked `provided`.
 */
export async function captureMaterial(deps: CaseDeps, principal: Principal, caseId: string, input: CaptureMaterialInput): Promise<CaseRecord> {
  const m = parseInput(CaptureMaterialInput, input);
  const mime = sniffMime(m.bytes);
  if (!mime) throw new AppError('MATERIAL_TYPE_UNSUPPORTED', '仅支持 JPEG、PNG、WebP 图片或 PDF 文件', 415);
  if (m.mime && m.mime !== mime) {
    throw new AppError('MATERIAL_TYPE_MISMATCH', `文件内容是 ${mime}，与声明的 ${m.mime} 不符`, 400, { declared: m.mime, actual: mime });
  }
  const check = (record: CaseRecord) => {
    const side = authorizeParty(principal, 'material.capture', caseFacts(record));
    assertCaseState(record, ['in_session', 'pending_materials'], '提交材料');
    assertMaterialCapacity(record, side);
    // Bytes per side of the case, like the count: one side's uploads cannot use up the other's.
    const perSide = deps.budgets?.limits.materialBytesPerCase;
    const kept = record.materials.filter((x) => materialSide(record, x) === side).reduce((sum, x) => sum + x.size, 0);
    if (perSide !== undefined && kept + m.bytes.byteLength > perSide) {
      throw new AppError('BUDGET_EXCEEDED', `本方在本办件提交的材料已达上限（${Math.round(perSide / 1048576)} MB） (material budget of the case)`, 429, {
        budget: 'materialBytesPerCase',
        limit: perSide,
      });
    }
    const line = m.materialId === undefined ? undefined : record.checklist.find((c) => c.materialId === m.materialId);
    if (m.materialId !== undefined && !line) {
      throw new AppError('CASE_MATERIAL_NOT_IN_CHECKLIST', `材料清单中没有 ${m.materialId}`, 400, { materialId: m.materialId });
    }
    return { line, side };
  };
  // Refuse what can be refused before writing bytes to disk; the commit below checks again.
  check(await deps.cases.require(caseId));
  // A terminal's hourly upload budget is charged before the bytes reach the disk, and given back if
  // the material is not recorded after all.
  const chargedAt = deps.clock();
  const charged = principal.kind === 'counter' && deps.budgets ? { budgets: deps.budgets, counterId: principal.counterId } : undefined;
  await charged?.budgets.chargeMaterial(charged.counterId, m.bytes.byteLength, chargedAt);
  let record: CaseRecord;
  try {
    const blob = await deps.blobs.put(m.bytes);

    const actor = actorOf(principal);
    record = await deps.cases.update(caseId, (draft) => {
      const { line, side } = check(draft);
      const name = m.name ?? line?.name ?? '材料';
      draft.materials.push({
        sha256: blob.sha256,
        kind: m.kind,
        mime,
        size: blob.size,
        name,
        ...(m.materialId !== undefined ? { materialId: m.materialId } : {}),
        capturedAt: deps.clock().toISOString(),
        capturedBy: actor.id,
        side,
      });
      if (line) {
        // A waived line keeps its waiver as history: 容缺 then supplied.
        line.status = 'provided';
        line.blobSha256 = blob.sha256;
      }
      return {
        actor,
        action: 'material.captured',
        data: { sha256: blob.sha256, kind: m.kind, mime, size: blob.size, name, ...(m.materialId !== undefined ? { materialId: m.materialId } : {}) },
      };
    });
  } catch (e) {
    await charged?.budgets.refundMaterial(charged.counterId, m.bytes.byteLength, chargedAt).catch(() => undefined);
    throw e;
  }
  notifyCase(deps, record);
  return record;
}
