import { ArchiveSearchInput, type ArchiveCaseLine, type ArchiveSearchPage } from '@rvw/protocol/archive';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import type { Partnership } from '@rvw/protocol/catalog';
import { can, requireAdmin } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { caseFacts } from '../cases/caseFacts.js';
import { maskName } from '../cases/maskName.js';
import { parseInput } from '../catalog/parseInput.js';
import { ARCHIVE_NUMBERS_KEY, archiveCasesKey } from '../stats/caseContributions.js';
import type { RedisClient } from '../store/redisClient.js';
import { compareNewestFirst, decodeCursor, encodeCursor, type ArchivePosition } from './archiveCursor.js';
import type { ArchiveNames } from './archiveNames.js';
import { searchablePartnerships } from './archiveScope.js';

/** Index entries (cases) one search looks at, at most: a rare filter answers in several pages, each bounded. */
export const ARCHIVE_SCAN_LIMIT = 400;
/** Records read from Redis per round trip while filtering. */
const FETCH_BATCH = 50;
const DAY_MS = 86_400_000;

/** Dependencies of {@link searchCases}. */
export interface ArchiveSearchDeps {
  redis: RedisClient;
  partnerships(): Promise<Partnership[]>;
  getCases(ids: readonly string[]): Promise<(CaseRecord | undefined)[]>;
  /** A fresh name cache for one request. */
  names(): ArchiveNames;
  /** Index entries examined at most per request; default {@link ARCHIVE_SCAN_LIMIT}. */
  scanLimit?: number;
}

/**
 * 办件档案 search: administrators only, over the partnerships whose cases they may search
 * (`archive.search`), each case found checked once more with `case.read`.
 *
 * A case number finds exactly its case through the number index. Otherwise the cases come from
 * each partnership's createdAt index (`archive:cases:<partnershipId>`, kept by the case store's
 * commit script), newest first, within the date range and after the cursor; at most `scanLimit`
 * of them are read and filtered (state, item, hall, clerk), so a request costs the same however
 * many cases there are. The answer continues with `nextCursor` — also when a page found fewer
 * than `limit` (or no) matches, since the rest of the range has not been looked at yet.
 */
export async function searchCases(deps: ArchiveSearchDeps, principal: Principal, input: unknown): Promise<ArchiveSearchPage> {
  requireAdmin(principal);
  const q = parseInput(ArchiveSearchInput, input);
  const scope = new Set(searchablePartnerships(principal, await deps.partnerships(), q.partnershipId).map((p) => p.id));
  const names = deps.names();
  // The partnership decides the index a case is found in; the policy decides on the case itself.
  const visible = (r: CaseRecord | undefined): r is CaseRecord => r !== undefined && scope.has(r.partnershipId) && can(principal, 'case.read', { case: caseFacts(r) });

  if (q.number !== undefined) {
    const found = (await deps.getCases(await caseIdsOfNumber(deps.redis, q.number))).filter(visible);
    return { cases: await Promise.all(found.map((r) => lineOf(r, names))), nextCursor: null };
  }

  const window = {
    min: q.from ? Date.parse(`${q.from}T00:00:00+08:00`) : -Infinity,
    max: q.to ? Date.parse(`${q.to}T00:00:00+08:00`) + DAY_MS - 1 : Infinity,
  };
  const scanLimit = deps.scanLimit ?? ARCHIVE_SCAN_LIMIT;
  // One more than we may look at: if it exists, there is more to come.
  const candidates = await newestFirst(deps.redis, [...scope].map(archiveCasesKey), window, q.cursor ? decodeCursor(q.cursor) : undefined, scanLimit + 1);
  const budget = Math.min(candidates.length, scanLimit);
  const matches = (r: CaseRecord) =>
    (q.state === undefined || r.state === q.state) &&
    (q.itemCode === undefined || r.itemCode === q.itemCode) &&
    (q.hallId === undefined || r.hallId === q.hallId) &&
    (q.clerkId === undefined || r.clerkId === q.clerkId);

  const hits: CaseRecord[] = [];
  let examined = 0;
  while (examined < budget && hits.length < q.limit) {
    const batch = candidates.slice(examined, Math.min(budget, examined + FETCH_BATCH));
    for (const r of await deps.getCases(batch.map((c) => c.id))) {
      examined++;
      if (visible(r) && matches(r)) hits.push(r);
      if (hits.length === q.limit) break;
    }
  }
  const last = candidates[examined - 1];
  return {
    cases: await Promise.all(hits.map((r) => lineOf(r, names))),
    nextCursor: examined < candidates.length && last ? encodeCursor(last) : null,
  };
}

/** The ids of the cases numbered `number` (one, or none): `<number>|<caseId>` in the number index. */
async function caseIdsOfNumber(redis: RedisClient, number: string): Promise<string[]> {
  // `}` follows `|` in ASCII: the range holds exactly the members starting with `<number>|`.
  const members = await redis.zRange(ARCHIVE_NUMBERS_KEY, `[${number}|`, `(${number}}`, { BY: 'LEX', LIMIT: { offset: 0, count: 2 } });
  return members.map((m) => m.slice(number.length + 1));
}

/**
 * Up to `count` entries of each index within `window` (createdAt ms, both ends included) that
 * come after `after` in newest-first order, merged into that order.
 */
async function newestFirst(redis: RedisClient, keys: readonly string[], window: { min: number; max: number }, after: ArchivePosition | undefined, count: number): Promise<ArchivePosition[]> {
  const bound = (x: number) => (x === Infinity ? '+inf' : x === -Infinity ? '-inf' : x);
  const perKey = await Promise.all(
    keys.map(async (key) => {
      let max = window.max;
      let offset = 0;
      if (after) {
        if (after.at < window.min) return [];
        if (after.at <= window.max) {
          max = after.at;
          // Equal scores come in descending id order: skip those at the cursor's millisecond not after it.
          offset = (await redis.zRange(key, after.at, after.at, { BY: 'SCORE' })).filter((id) => id >= after.id).length;
        }
      }
      const entries = await redis.zRangeWithScores(key, bound(max), bound(window.min), { BY: 'SCORE', REV: true, LIMIT: { offset, count } });
      return entries.map((e) => ({ at: e.score, id: e.value }));
    }),
  );
  return perKey.flat().sort(compareNewestFirst);
}

/** What the results table shows of a case: the applicant's name masked, no ID or phone number. */
async function lineOf(r: CaseRecord, names: ArchiveNames): Promise<ArchiveCaseLine> {
  return {
    id: r.id,
    number: r.number ?? null,
    state: r.state,
    itemCode: r.itemCode,
    itemName: r.itemName,
    partnershipId: r.partnershipId,
    hallId: r.hallId,
    hallName: await names.hall(r.hallId),
    applicantName: maskName(r.applicant.name),
    clerkId: r.clerkId ?? null,
    clerkName: r.clerkId ? await names.staff(r.clerkId) : null,
    createdAt: r.createdAt,
    acceptedAt: r.acceptedAt ?? null,
    closedAt: r.closedAt ?? null,
  };
}
