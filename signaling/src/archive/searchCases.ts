import { ArchiveSearchInput, type ArchiveCaseLine, type ArchiveSearchPage } from '@rvw/protocol/archive';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import type { Partnership } from '@rvw/protocol/catalog';
import { can, requireAdmin } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { caseFacts } from '../cases/caseFacts.js';
import { maskName } from '../cases/maskName.js';
import { parseInput } from '../catalog/parseInput.js';
import { AppError } from '../errors/AppError.js';
import { decodeCursor, encodeCursor } from './archiveCursor.js';
import type { CaseArchive } from './CaseArchive.js';
import type { ArchiveNames } from './archiveNames.js';
import { searchablePartnerships } from './archiveScope.js';

const DAY_MS = 86_400_000;

/** Dependencies of {@link searchCases}. */
export interface ArchiveSearchDeps {
  /** The case archive (PostgreSQL); undefined on a node configured without one. */
  archive: Pick<CaseArchive, 'search' | 'byNumber'> | undefined;
  partnerships(): Promise<Partnership[]>;
  /** A fresh name cache for one request. */
  names(): ArchiveNames;
}

/**
 * 办件档案 search: administrators only, over the partnerships whose cases they may search
 * (`archive.search`), each case found checked once more with `case.read`.
 *
 * The cases come from the case archive in PostgreSQL, which holds every case, live or finished
 * (the feeder copies each change within moments): a case number finds exactly its case; otherwise
 * the date range (Beijing days) and filters select on indexed columns, newest first, one page
 * after the cursor. `nextCursor` is set when more may follow.
 */
export async function searchCases(deps: ArchiveSearchDeps, principal: Principal, input: unknown): Promise<ArchiveSearchPage> {
  requireAdmin(principal);
  const q = parseInput(ArchiveSearchInput, input);
  const archive = deps.archive;
  if (!archive) throw new AppError('ARCHIVE_UNAVAILABLE', '办件档案库未配置，暂时无法查询，请联系系统管理员', 503);
  const scope = searchablePartnerships(principal, await deps.partnerships(), q.partnershipId).map((p) => p.id);
  const names = deps.names();
  if (scope.length === 0) return { cases: [], nextCursor: null };
  // The partnership decides where a case is searched; the policy decides on the case itself.
  const visible = (r: CaseRecord) => can(principal, 'case.read', { case: caseFacts(r) });

  if (q.number !== undefined) {
    const found = (await unavailableOnFailure(archive.byNumber(q.number, scope))).filter(visible);
    return { cases: await Promise.all(found.map((r) => lineOf(r, names))), nextCursor: null };
  }

  // One more than a page: if it exists, there is more to come.
  const rows = await unavailableOnFailure(
    archive.search({
      partnershipIds: scope,
      ...(q.from ? { fromMs: Date.parse(`${q.from}T00:00:00+08:00`) } : {}),
      ...(q.to ? { toMs: Date.parse(`${q.to}T00:00:00+08:00`) + DAY_MS - 1 } : {}),
      ...(q.state !== undefined ? { state: q.state } : {}),
      ...(q.itemCode !== undefined ? { itemCode: q.itemCode } : {}),
      ...(q.hallId !== undefined ? { hallId: q.hallId } : {}),
      ...(q.clerkId !== undefined ? { clerkId: q.clerkId } : {}),
      ...(q.cursor ? { after: decodeCursor(q.cursor) } : {}),
      limit: q.limit + 1,
    }),
  );
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    cases: await Promise.all(page.filter(visible).map((r) => lineOf(r, names))),
    nextCursor: rows.length > q.limit && last ? encodeCursor({ at: Date.parse(last.createdAt), id: last.id }) : null,
  };
}

/** A query the archive could not answer (PostgreSQL down) is ARCHIVE_UNAVAILABLE, not a bare 500. */
async function unavailableOnFailure<T>(query: Promise<T>): Promise<T> {
  try {
    return await query;
  } catch {
    throw new AppError('ARCHIVE_UNAVAILABLE', '办件档案库暂时无法访问，请稍后重试', 503);
  }
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
