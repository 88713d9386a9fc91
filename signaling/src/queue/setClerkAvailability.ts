import { requireClerk } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import type { CaseDeps } from '../cases/CaseDeps.js';

/**
 * 示忙/示闲: a clerk stops taking new applicants (a break, a phone call, a case that needs quiet)
 * and later takes them again. Authorize (a clerk, about itself) → set the state in presence (all
 * nodes see it: queue.accept refuses a paused clerk, the counters' estimates leave it out) → tell
 * the queues it serves, so the waiting counters re-read their estimates. Without `paused`, reads.
 */
export async function setClerkAvailability(
  deps: Pick<CaseDeps, 'queues' | 'catalog' | 'publish' | 'log'>,
  principal: Principal,
  input: { paused?: boolean },
): Promise<{ paused: boolean; since: string | null }> {
  requireClerk(principal, 'clerk.availability');
  const presence = deps.queues.presence;
  const before = await presence.pausedSince(principal.staffId);
  if (input.paused === undefined || input.paused === (before !== null)) return { paused: before !== null, since: before };
  const since = input.paused ? await presence.pause(principal.staffId) : (await presence.resume(principal.staffId), null);
  for (const p of await deps.catalog.list('partnership')) {
    for (const offer of p.offers) {
      if (offer.servingRegion !== principal.regionCode) continue;
      for (const itemCode of offer.itemCodes.filter((c) => principal.itemCodes.includes(c))) {
        try {
          deps.publish({ type: 'queue.changed', servingRegion: offer.servingRegion, partnershipId: p.id, itemCode });
        } catch (e) {
          deps.log.warn({ err: e, itemCode }, 'publishing a queue change failed');
        }
      }
    }
  }
  return { paused: since !== null, since };
}
