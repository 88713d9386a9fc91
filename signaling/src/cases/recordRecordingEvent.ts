import type { CaseRecord } from '@rvw/protocol/caseRecord';
import type { CaseDeps } from './CaseDeps.js';
import { notifyCase } from './notifyCase.js';

/** What the recording of a case's call puts into its audit chain. */
export type RecordingAuditAction = 'recording.started' | 'recording.segment' | 'recording.gap' | 'recording.interrupted' | 'recording.stopped' | 'recording.expired';

/** The recording state each action leaves the case in (a segment changes nothing the pages show). */
const STATE_AFTER: Partial<Record<RecordingAuditAction, NonNullable<CaseRecord['recording']>['state']>> = {
  'recording.started': 'recording',
  // Written when the recorders run again after an interruption.
  'recording.gap': 'recording',
  'recording.interrupted': 'interrupted',
  'recording.stopped': 'stopped',
};

/**
 * Appends a recording fact to the case's audit chain, by the node that records (actor: system):
 * that recording started, each closed segment with its SHA-256 (custody: the file is provably the
 * one recorded), an interruption (a worker died) and the gap it left once recording runs again,
 * the end, and a segment deleted after its retention. The state goes into the record and out as `case.changed`, so both regions' pages
 * show 录制中 from the shared record, after a reload too.
 */
export async function recordRecordingEvent(deps: CaseDeps, caseId: string, nodeId: string, action: RecordingAuditAction, data: Record<string, unknown>): Promise<CaseRecord> {
  const record = await deps.cases.update(caseId, (draft) => {
    const state = STATE_AFTER[action];
    if (state) draft.recording = { state, since: deps.clock().toISOString(), nodeId };
    return { actor: { id: `node:${nodeId}`, role: 'system', region: '' }, action, data };
  });
  notifyCase(deps, record);
  return record;
}
