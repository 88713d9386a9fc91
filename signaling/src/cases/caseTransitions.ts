import { AppError } from '../errors/AppError.js';
import { CASE_STATE_LABELS, type CaseState } from '@rvw/protocol/caseRecord';

/**
 * The legal moves between case states. `suspended` is a pause (network failure, applicant steps
 * away) that resumes into the session or ends in rejection; the three terminal states allow no move.
 */
export const CASE_TRANSITIONS: Readonly<Record<CaseState, readonly CaseState[]>> = Object.freeze({
  queued: ['in_session', 'abandoned'],
  in_session: ['pending_materials', 'suspended', 'completed', 'rejected'],
  pending_materials: ['in_session', 'suspended', 'rejected'],
  suspended: ['in_session', 'rejected'],
  completed: [],
  rejected: [],
  abandoned: [],
});

/** Refuses an illegal move with CASE_ILLEGAL_TRANSITION (409), `details: {from, to}`. */
export function assertTransition(from: CaseState, to: CaseState): void {
  if (CASE_TRANSITIONS[from].includes(to)) return;
  throw new AppError(
    'CASE_ILLEGAL_TRANSITION',
    `案件当前状态为“${CASE_STATE_LABELS[from]}”，不能变更为“${CASE_STATE_LABELS[to]}”`,
    409,
    { from, to },
  );
}
