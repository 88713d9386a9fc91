import type { SideCounts } from '@rvw/protocol/caseRecord';
import type { CaseSide } from '../auth/policy.js';
import { AppError } from '../errors/AppError.js';

/**
 * One more write by `side` against a count kept per side of the case (call-mode proposals, 申请表
 * writes, 人证核验 readings and findings): the counts after it, or BUDGET_EXCEEDED when that side
 * is at `limit`. Per side, so one side writing without end cannot use up the other's share. A
 * record stored before its count was kept starts both sides at zero.
 */
export function chargeSide(counts: SideCounts | undefined, side: CaseSide, limit: number, refusal: { budget: string; message: string }): SideCounts {
  const current = counts ?? { counter: 0, clerk: 0 };
  if (current[side] >= limit) throw new AppError('BUDGET_EXCEEDED', refusal.message, 429, { budget: refusal.budget, limit });
  return { ...current, [side]: current[side] + 1 };
}
