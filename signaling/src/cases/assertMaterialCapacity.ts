import type { CaseSide } from '../auth/policy.js';
import { AppError } from '../errors/AppError.js';
import { CASE_LIMITS, materialSide, type CaseRecord } from '@rvw/protocol/caseRecord';

/**
 * Refuses CASE_TOO_MANY_MATERIALS (409) when `side` already keeps the most materials allowed. Each
 * side is counted apart: a counter uploading without end cannot stop the clerk keeping a still.
 */
export function assertMaterialCapacity(record: CaseRecord, side: CaseSide): void {
  const limit = CASE_LIMITS.materialsPerSide;
  if (record.materials.filter((m) => materialSide(record, m) === side).length >= limit) {
    throw new AppError('CASE_TOO_MANY_MATERIALS', `本方在每个办件最多提交 ${limit} 份材料`, 409, { limit, side });
  }
}
