import type { CaseService } from '../cases/CaseService.js';
import type { Logger } from '../observability/logger.js';
import type { RecordingStore } from './RecordingStore.js';

/**
 * Retention, as one story: delete this node's segment files older than `retentionDays`, then say
 * so in each case's audit chain (`recording.expired` {sha256}) — written by the node that recorded
 * the segment, once — so that a later evidence bundle without the file is complete, not tampered
 * with. A copy fetched by another node goes with its original (it carries the original's date).
 */
export async function sweepRecordings(options: {
  store: RecordingStore;
  cases: Pick<CaseService, 'recordRecordingEvent'>;
  nodeId: string;
  retentionDays: number;
  logger: Logger;
  now?: number;
}): Promise<number> {
  const { store, cases, nodeId, logger } = options;
  const gone = await store.sweep(options.retentionDays, options.now);
  for (const { sha256, caseId } of gone) {
    if (!caseId) continue;
    const recordedHere = (await store.list(caseId)).some((r) => r.sha256 === sha256 && r.nodeId === nodeId);
    if (!recordedHere) continue;
    await cases
      .recordRecordingEvent(caseId, nodeId, 'recording.expired', { sha256, retentionDays: options.retentionDays })
      .catch((e: Error) => logger.error({ err: e.message, caseId, sha256 }, 'recording.expired not written'));
  }
  if (gone.length) logger.info({ count: gone.length }, 'recorded segments past retention deleted');
  return gone.length;
}
