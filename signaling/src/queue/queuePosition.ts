import type { CaseDeps } from '../cases/CaseDeps.js';
import { AppError } from '../errors/AppError.js';

/** Where a waiting case stands in its queue. */
export interface QueuePosition {
  /** 1 = next to be accepted. */
  position: number;
  queueLength: number;
  waitingSeconds: number;
  estimatedWaitSeconds: number;
  /** Clerks serving this item now (their page watches the queue), and those of them holding no case. */
  clerksOnline: number;
  clerksIdle: number;
  /** Clerks of the item at their desk but paused (示忙): not counted online, so the counter can say "busy", not "absent". */
  clerksPaused: number;
}

/**
 * The position of a queued case and an estimated wait, from the clerks actually serving the item
 * and the queue's recent handling times (a rolling mean in Redis):
 * - an idle clerk for everyone ahead and us: 0 (即将接通);
 * - otherwise the cases ahead that no idle clerk takes share the clerks serving the item, and the
 *   case being handled is on average half done: (ahead − idle + ½) × average ÷ clerks;
 * - nobody serving the item right now: as if one clerk, (position − ½) × average.
 * Refuses CASE_NOT_QUEUED (409) once the case has left the queue.
 */
export async function queuePosition(deps: Pick<CaseDeps, 'cases' | 'queues' | 'clock'>, caseId: string): Promise<QueuePosition> {
  const record = await deps.cases.require(caseId);
  const standing = record.state === 'queued' ? await deps.queues.standing(record, caseId) : undefined;
  if (!standing) throw new AppError('CASE_NOT_QUEUED', '该办件已不在排队中', 409, { caseId, state: record.state });
  const [average, clerks] = await Promise.all([deps.queues.averageHandlingSeconds(record), deps.queues.presence.serving(record.servingRegion, record.itemCode)]);
  const position = standing.rank + 1;
  const ahead = position - 1;
  return {
    position,
    queueLength: standing.length,
    waitingSeconds: Math.max(0, Math.round((deps.clock().getTime() - standing.enqueuedAtMs) / 1000)),
    estimatedWaitSeconds: estimateWait(ahead, clerks, average),
    clerksOnline: clerks.online,
    clerksIdle: clerks.idle,
    clerksPaused: clerks.paused,
  };
}

/** Seconds until a clerk takes the case with `ahead` cases before it (see queuePosition). */
export function estimateWait(ahead: number, clerks: { online: number; idle: number }, averageSeconds: number): number {
  if (clerks.online === 0) return Math.round((ahead + 0.5) * averageSeconds);
  if (clerks.idle > ahead) return 0;
  return Math.round(((ahead - clerks.idle + 0.5) * averageSeconds) / clerks.online);
}
