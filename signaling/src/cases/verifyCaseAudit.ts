import type { AuditEvent } from '../audit/AuditEvent.js';
import { verifyAuditChain, type AuditVerdict } from '../audit/verifyAuditChain.js';
import type { CaseDeps } from './CaseDeps.js';

/** A case's audit trail and whether its hash chain is intact up to the record's head. */
export async function verifyCaseAudit(deps: Pick<CaseDeps, 'cases'>, caseId: string): Promise<{ events: AuditEvent[]; verdict: AuditVerdict }> {
  const { record, events } = await deps.cases.history(caseId);
  return { events, verdict: verifyAuditChain(events, { caseId, version: record.version, lastEventHash: record.lastEventHash }) };
}
