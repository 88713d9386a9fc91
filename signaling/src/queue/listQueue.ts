import type { CaseDeps } from '../cases/CaseDeps.js';
import { maskName } from '../cases/maskName.js';
import type { QueueEntry } from '@rvw/protocol/responses';

// One waiting case as a clerk's queue list shows it (before acceptance, so the name is masked):
// a wire shape, declared once in the protocol package.
export type { QueueEntry };

/**
 * The cases waiting for clerks of `servingRegion`, oldest first, across every partnership in which
 * that region serves; only the given items when `itemCodes` is passed (a clerk's assignment).
 * Inactive partnerships are included: cases queued before a deactivation still need serving.
 */
export async function listQueue(
  deps: Pick<CaseDeps, 'catalog' | 'cases' | 'queues' | 'clock'>,
  servingRegion: string,
  itemCodes?: readonly string[],
): Promise<QueueEntry[]> {
  const wanted = itemCodes ? new Set(itemCodes) : undefined;
  const queues = (await deps.catalog.list('partnership')).flatMap((p) =>
    p.offers
      .filter((o) => o.servingRegion === servingRegion)
      .flatMap((o) => o.itemCodes.filter((c) => !wanted || wanted.has(c)).map((itemCode) => ({ partnershipId: p.id, servingRegion, itemCode }))),
  );
  const members = (await Promise.all(queues.map((q) => deps.queues.members(q)))).flat();
  members.sort((a, b) => a.enqueuedAtMs - b.enqueuedAtMs);
  const records = await deps.cases.getMany(members.map((m) => m.caseId));
  const now = deps.clock().getTime();
  const entries: QueueEntry[] = [];
  for (const [i, m] of members.entries()) {
    const r = records[i];
    // A queue entry always has its record (same atomic write); skip defensively rather than fail the list.
    if (!r || r.state !== 'queued') continue;
    entries.push({
      caseId: r.id,
      partnershipId: r.partnershipId,
      itemCode: r.itemCode,
      itemName: r.itemName,
      applicantRegion: r.applicantRegion,
      hallId: r.hallId,
      counterId: r.counterId,
      applicantName: maskName(r.applicant.name),
      enqueuedAt: new Date(m.enqueuedAtMs).toISOString(),
      waitingSeconds: Math.max(0, Math.round((now - m.enqueuedAtMs) / 1000)),
    });
  }
  return entries;
}
