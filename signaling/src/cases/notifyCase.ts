import type { CaseDeps } from './CaseDeps.js';
import type { CaseNotification } from './CaseNotification.js';
import type { CaseRecord } from '@rvw/protocol/caseRecord';

/**
 * Publishes `case.changed` for a committed record, plus `queue.changed` when its queue changed.
 * The change is already durable, so a failing subscriber is logged and never fails the use case.
 */
export function notifyCase(deps: Pick<CaseDeps, 'publish' | 'log'>, record: CaseRecord, opts: { queueChanged?: boolean } = {}): void {
  const events: CaseNotification[] = [
    {
      type: 'case.changed',
      caseId: record.id,
      version: record.version,
      state: record.state,
      counterId: record.counterId,
      ...(record.clerkId ? { clerkId: record.clerkId } : {}),
      servingRegion: record.servingRegion,
      applicantRegion: record.applicantRegion,
      itemCode: record.itemCode,
    },
  ];
  if (opts.queueChanged) {
    events.push({ type: 'queue.changed', servingRegion: record.servingRegion, partnershipId: record.partnershipId, itemCode: record.itemCode });
  }
  for (const event of events) {
    try {
      deps.publish(event);
    } catch (e) {
      deps.log.warn({ err: e, type: event.type, caseId: record.id }, 'publishing a case notification failed');
    }
  }
}
