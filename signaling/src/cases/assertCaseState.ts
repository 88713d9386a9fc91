import { AppError } from '../errors/AppError.js';
import { CASE_STATE_LABELS, type CaseRecord, type CaseState } from '@rvw/protocol/caseRecord';

/** Refuses CASE_WRONG_STATE (409, `details: {state, allowed}`) unless the case is in one of `allowed`. */
export function assertCaseState(record: CaseRecord, allowed: readonly CaseState[], what: string): void {
  if (allowed.includes(record.state)) return;
  throw new AppError('CASE_WRONG_STATE', `案件当前状态为“${CASE_STATE_LABELS[record.state]}”，不能${what}`, 409, {
    caseId: record.id,
    state: record.state,
    allowed,
  });
}
