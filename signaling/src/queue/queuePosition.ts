import type { CaseDeps } from '../cases/CaseDeps';
import { AppError } from '../errors/AppError';

/** Where a waiting case stands in its queue. */
export interface QueuePosition {
  /** 1 = next to be accepted. */
  position: number;
  queueLength: number;
  waitingSeconds: number;
  estimatedWaitSeconds: number;
}

/**
 * The position of a queued case and an estimated wait: the case ahead is on average half done and
 * each further one takes the queue's recent average handling time, i.e. (position − ½) × average.
 * Refuses CASE_NOT_QUEUED (409) once the case has left the queue.
 */
export async function queuePosition(deps: Pick<CaseDeps, 'cases' | 'queues' | 'clock'>, caseId: string): Promise<QueuePosition> {
  const record = await deps.cases.require(caseId);
  const standing = record.state === 'queued' ? await deps.queues.standing(record, caseId) : undefined;
  if (!standing) throw new AppError('CASE_NOT_QUEUED', '该办件已不在排队中', 409, { caseId, state: record.state });
  const average = await deps.queues.averageHandlingSeconds(record);
  const position = standing.rank + 1;
  return {
    position,
    queueLength: standing.length,
    waitingSeconds: Math.max(0, Math.round((deps.clock().getTime() - standing.enqueuedAtMs) / 1000)),
    estimatedWaitSeconds: Math.round((position - 0.5) * average),
  };
}
