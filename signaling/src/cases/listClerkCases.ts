import { can, requireClerk } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import type { RedisClient } from '../store/redisClient.js';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import { clerkCasesKey } from '../stats/caseContributions.js';
import { caseFacts } from './caseFacts.js';
import { maskName } from './maskName.js';

/** One line of a clerk's history (我的办件): what the list shows, the applicant masked. */
export interface ClerkCaseLine {
  id: string;
  number: string | null;
  itemName: string;
  state: CaseRecord['state'];
  applicantName: string;
  acceptedAt: string;
  closedAt: string | null;
  /** The applicant's rating of the clerk (1–5), once given. */
  rating: number | null;
  documents: number;
}

/**
 * The cases a clerk accepted, newest first (`before`: older than this 受理 time, epoch ms, for the
 * next page). Read from the index the case store keeps with each 受理 (stats/caseContributions),
 * each case checked with the policy (`case.read`) as the clerk sees it now.
 */
export async function listClerkCases(
  deps: { redis: RedisClient; getCases(ids: readonly string[]): Promise<(CaseRecord | undefined)[]> },
  principal: Principal,
  opts: { limit: number; before?: number },
): Promise<{ cases: ClerkCaseLine[]; more: boolean }> {
  requireClerk(principal, 'clerk.history');
  const max = opts.before === undefined ? '+inf' : `(${opts.before}`;
  const ids = await deps.redis.zRange(clerkCasesKey(principal.staffId), max, '-inf', { BY: 'SCORE', REV: true, LIMIT: { offset: 0, count: opts.limit + 1 } });
  const records = await deps.getCases(ids.slice(0, opts.limit));
  const cases: ClerkCaseLine[] = [];
  for (const r of records) {
    if (!r || !r.acceptedAt || !can(principal, 'case.read', { case: caseFacts(r) })) continue;
    cases.push({
      id: r.id,
      number: r.number ?? null,
      itemName: r.itemName,
      state: r.state,
      applicantName: maskName(r.applicant.name),
      acceptedAt: r.acceptedAt,
      closedAt: r.closedAt ?? null,
      rating: r.ratings.clerk?.score ?? null,
      documents: r.documents.length,
    });
  }
  return { cases, more: ids.length > opts.limit };
}
