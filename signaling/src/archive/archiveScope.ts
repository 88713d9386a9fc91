import type { Partnership } from '@rvw/protocol/catalog';
import { authorizeWithReason, can, type AdminPrincipal } from '../auth/policy.js';
import { AppError } from '../errors/AppError.js';

/**
 * The partnerships whose cases `principal` may search (`archive.search`: either region is one it
 * manages), or just `partnershipId` — refused with the reason when it is not one of them, and
 * CATALOG_PARTNERSHIP_NOT_FOUND when it does not exist.
 */
export function searchablePartnerships(principal: AdminPrincipal, all: readonly Partnership[], partnershipId?: string): Partnership[] {
  if (partnershipId === undefined) return all.filter((p) => can(principal, 'archive.search', { regionCodes: p.regions }));
  const chosen = all.find((p) => p.id === partnershipId);
  if (!chosen) throw new AppError('CATALOG_PARTNERSHIP_NOT_FOUND', `合作关系 ${partnershipId} 不存在`, 404, { partnershipId });
  authorizeWithReason(principal, 'archive.search', { regionCodes: chosen.regions });
  return [chosen];
}
