import type { ArchiveFilters } from '@rvw/protocol/archive';
import type { Hall, Partnership } from '@rvw/protocol/catalog';
import { requireAdmin } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import type { StaffRecord } from '../auth/StaffStore.js';
import type { ArchiveNames } from './archiveNames.js';
import { searchablePartnerships } from './archiveScope.js';

/** Dependencies of {@link archiveFilters}. */
export interface ArchiveFiltersDeps {
  partnerships(): Promise<Partnership[]>;
  halls(): Promise<Hall[]>;
  staff(): Promise<StaffRecord[]>;
  names(): ArchiveNames;
}

const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name, 'zh-CN');

/**
 * What the archive's search form offers, for the partnerships this administrator may search:
 * their items, the halls where their cases are opened (the applicant side's) and the clerks who
 * may have handled them (of a serving region, for one of its items; disabled ones too, their
 * cases stay). Names only: the clerks' names are what the results show anyway.
 */
export async function archiveFilters(deps: ArchiveFiltersDeps, principal: Principal): Promise<ArchiveFilters> {
  requireAdmin(principal);
  const scope = searchablePartnerships(principal, await deps.partnerships());
  const names = deps.names();
  const offers = scope.flatMap((p) => p.offers);
  const itemCodes = [...new Set(offers.flatMap((o) => o.itemCodes))];
  const applicantRegions = new Set(offers.map((o) => o.applicantRegion));
  const serves = (regionCode: string, itemCodes: readonly string[]) => offers.some((o) => o.servingRegion === regionCode && o.itemCodes.some((c) => itemCodes.includes(c)));
  return {
    partnerships: scope.map((p) => ({ id: p.id, name: p.name })).sort(byName),
    items: (await Promise.all(itemCodes.map(async (code) => ({ code, name: await names.item(code) })))).sort(byName),
    halls: (await deps.halls()).filter((h) => applicantRegions.has(h.regionCode)).map((h) => ({ id: h.id, name: h.name })).sort(byName),
    clerks: (await deps.staff())
      .filter((s) => s.role === 'clerk' && serves(s.regionCode, s.itemCodes))
      .map((s) => ({ id: s.id, name: s.disabled ? `${s.name}（已停用）` : s.name }))
      .sort(byName),
  };
}
