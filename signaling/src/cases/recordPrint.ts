import type { PrintEvent } from '@rvw/documents/print/PrintEvent';
import type { AuditActor } from '../audit/AuditEvent.js';
import { AppError } from '../errors/AppError.js';
import type { CaseDeps } from './CaseDeps.js';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import { notifyCase } from './notifyCase.js';

/** A print event from the document service (token issued, printed, reported, reprint approved). */
export type PrintEventInput = PrintEvent;

/**
 * Writes a print event of an issued document into the case (its print log and the audit
 * chain): 统一窗口出件 is part of the case's story. The print use case (issuing/printDocument,
 * issuing/approveReprint) has already authorized the actor by policy; the record is updated with
 * internal retries (no client version involved).
 */
export async function recordPrint(deps: CaseDeps, event: PrintEventInput): Promise<CaseRecord> {
  const current = await deps.cases.require(event.caseId);
  if (!current.documents.some((d) => d.number === event.number)) {
    throw new AppError('DOCUMENT_NOT_FOUND', `办件中没有编号为 ${event.number} 的文书`, 404);
  }
  const actor: AuditActor =
    event.actor.kind === 'counter'
      ? { id: event.actor.counterId, role: 'counter', region: current.applicantRegion }
      : { id: event.actor.staffId, role: 'clerk', region: current.servingRegion };
  const raw = event.details.outcome;
  const outcome: 'success' | 'failure' | undefined = raw === 'success' || raw === 'failure' ? raw : undefined;
  const record = await deps.cases.update(event.caseId, (draft) => {
    const doc = draft.documents.find((d) => d.number === event.number);
    if (!doc) throw new AppError('DOCUMENT_NOT_FOUND', `办件中没有编号为 ${event.number} 的文书`, 404);
    doc.printLog = [...(doc.printLog ?? []), { event: event.type, at: event.at, by: actor.id, ...(outcome ? { outcome } : {}) }].slice(-100);
    return { actor, action: `document.${event.type}`, data: { number: event.number, ...(outcome ? { outcome } : {}) } };
  });
  notifyCase(deps, record);
  return record;
}
