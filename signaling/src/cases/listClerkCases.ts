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
  /** Its call was recorded (the playback page says if the segments have since expired). */
  recorded: boolean;
}

/**
 * The cases a clerk accepted, newest first, a page after `cursor` (`<受理 ms>:<caseId>` of the last
 * case of the previous page: cases accepted in the same millisecond are told apart by id, so none
 * is skipped or repeated at a page boundary). Read from the index the case store keeps with each
 * 受理 (stats/caseContributions), each case checked with the policy (`case.read`) as the clerk sees
 * it now; `nextCursor` continues after the last case looked at.
 */
export async function listClerkCases(
  deps: { redis: RedisClient; getCases(ids: readonly string[]): Promise<(CaseRecord | undefined)[]> },
  principal: Principal,
  opts: { limit: number; cursor?: string },
): Promise<{ cases: ClerkCaseLine[]; more: boolean; nextCursor: string | null }> {
  requireClerk(principal, 'clerk.history');
  const key = clerkCasesKey(principal.staffId);
  let max = '+inf';
  let offset = 0;
  if (opts.cursor !== undefined) {
    const at = Number(opts.cursor.slice(0, opts.cursor.indexOf(':')));
    const id = opts.cursor.slice(opts.cursor.indexOf(':') + 1);
    max = String(at);
    // Equal scores come in descending id order: skip those at the cursor's millisecond not after it.
    offset = (await deps.redis.zRange(key, at, at, { BY: 'SCORE' })).filter((member) => member >= id).length;
  }
  const entries = await deps.redis.zRangeWithScores(key, max, '-inf', { BY: 'SCORE', REV: true, LIMIT: { offset, count: opts.limit + 1 } });
  const page = entries.slice(0, opts.limit);
  const last = page.at(-1);
  const more = entries.length > opts.limit;
  const records = await deps.getCases(page.map((e) => e.value));
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
      recorded: r.recording !== undefined,
    });
  }
  return { cases, more, nextCursor: more && last ? `${last.score}:${last.value}` : null };
}
