import type { CaseRecord } from '@rvw/protocol/caseRecord';
import type { CaseDeps } from './CaseDeps.js';

/** What the recording of a case's call puts into its audit chain. */
export type RecordingAuditAction = 'recording.started' | 'recording.segment' | 'recording.gap';

/**
 * Appends a recording fact to the case's audit chain, by the node that records (actor: system):
 * that recording started, each closed segment with its SHA-256 (custody: the file is provably the
 * one recorded), and a gap when the recording was interrupted (a worker died).
 */
export async function recordRecordingEvent(deps: CaseDeps, caseId: string, nodeId: string, action: RecordingAuditAction, data: Record<string, unknown>): Promise<CaseRecord> {
  return deps.cases.update(caseId, () => ({ actor: { id: `node:${nodeId}`, role: 'system', region: '' }, action, data }));
}
