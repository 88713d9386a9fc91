import { AppError } from '../errors/AppError.js';
import { CASE_LIMITS, type CaseRecord } from '@rvw/protocol/caseRecord';

/** Refuses CASE_TOO_MANY_MATERIALS (409) when the case already holds the most materials allowed. */
export function assertMaterialCapacity(record: CaseRecord): void {
  if (record.materials.length >= CASE_LIMITS.materials) {
    throw new AppError('CASE_TOO_MANY_MATERIALS', `每个办件最多 ${CASE_LIMITS.materials} 份材料`, 409, { limit: CASE_LIMITS.materials });
  }
}
