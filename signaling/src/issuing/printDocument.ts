import { DocumentNumberSchema, type DocumentRecord, type DocumentStore, type PrintEvent, type PrintStatus, type PrintTokens } from '@rvw/documents';
import { authorizeCounterAction, type CaseFacts } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { AppError } from '../errors/AppError.js';
import type { Logger } from '../observability/logger.js';

/** Dependencies of {@link PrintDocument} and {@link approveReprint}. */
export interface PrintDocumentDeps {
  documents: Pick<DocumentStore, 'get' | 'readPdf'>;
  printTokens: PrintTokens;
  /** The policy's facts of a case (from the case store). */
  caseFacts: (caseId: string) => Promise<CaseFacts>;
  /**
   * Writes a print event into the case (its print log and audit chain: 统一窗口出件 is part of
   * the case's story) and tells the case's sides.
   */
  recordPrint: (event: PrintEvent) => Promise<unknown>;
  log: Pick<Logger, 'warn'>;
  clock: () => Date;
}

/** The issued document `rawNumber` names; DOCUMENT_NOT_FOUND for anything else (malformed, reserved, withdrawn, unknown). */
export async function requireDocument(documents: PrintDocumentDeps['documents'], rawNumber: string): Promise<DocumentRecord> {
  const number = DocumentNumberSchema.safeParse(rawNumber);
  const record = number.success ? await documents.get(number.data) : undefined;
  if (!record) throw new AppError('DOCUMENT_NOT_FOUND', '未找到该文书，请核对文书编号', 404);
  return record;
}

/**
 * Records a print event. The print step already happened (a token handed out, a print counted),
 * so a failed audit write is logged, not thrown: the counter's print must not fail after the fact.
 */
export async function recordPrintEvent(deps: PrintDocumentDeps, event: Omit<PrintEvent, 'at'>): Promise<void> {
  await deps.recordPrint({ ...event, at: deps.clock().toISOString() }).catch((err: Error) => deps.log.warn({ err: err.message, number: event.number }, 'print event not recorded'));
}

/**
 * 统一窗口出件: the applicant's counter prints a document issued for its case. The counter asks
 * for a single-use token, loads the PDF once with it (loading is not a print: the frame may still
 * fail to show it), opens the print dialog and confirms: only the confirmation counts. A second
 * print needs the issuing clerk's approval ({@link approveReprint}).
 *
 * Each step: authorize (the policy: the counter that opened the document's case) → act (the print
 * tokens and counters) → record (the case's print log and audit) → notify (with the record).
 */
export class PrintDocument {
  constructor(private readonly deps: PrintDocumentDeps) {}

  /** A token for one load of the PDF; REPRINT_NOT_APPROVED / PRINT_LOAD_LIMIT when none is allowed. */
  async requestToken(principal: Principal, number: string): Promise<{ token: string; expiresInSeconds: number; reprint: boolean }> {
    const { record, counterId } = await this.#authorize(principal, number);
    const issued = await this.deps.printTokens.issue(record.number, counterId);
    await recordPrintEvent(this.deps, { type: 'print_token_issued', number: record.number, caseId: record.caseId, actor: { kind: 'counter', counterId }, details: { reprint: issued.reprint } });
    return issued;
  }

  /**
   * The PDF a token opens, once. The token is the capability (the counter's frame loads with it
   * and nothing else); the load is counted against the document's budget, never as a print.
   */
  async load(token: string): Promise<{ record: DocumentRecord; bytes: Uint8Array }> {
    const { number } = await this.deps.printTokens.peek(token);
    const record = await requireDocument(this.deps.documents, number);
    const bytes = await this.deps.documents.readPdf(record);
    // Marked only once the bytes are in hand, so a missing file never uses up a load.
    await this.deps.printTokens.markLoaded(token, number);
    return { record, bytes };
  }

  /** The counter opened the print dialog on the loaded PDF: this, once per token, is the print. */
  async confirm(principal: Principal, number: string, token: string): Promise<PrintStatus> {
    const { record, counterId } = await this.#authorize(principal, number);
    const { printCount } = await this.deps.printTokens.confirm(token, record.number, counterId);
    await recordPrintEvent(this.deps, { type: 'printed', number: record.number, caseId: record.caseId, actor: { kind: 'counter', counterId }, details: { printCount, reprint: printCount > 1 } });
    return this.deps.printTokens.status(record.number);
  }

  /** The counter's report of the physical print (success, or a failure with its reason). */
  async report(principal: Principal, number: string, report: { outcome: 'success' | 'failure'; reason?: string }): Promise<PrintStatus> {
    const { record, counterId } = await this.#authorize(principal, number);
    await this.deps.printTokens.recordReport(record.number, report.outcome);
    await recordPrintEvent(this.deps, {
      type: 'print_reported',
      number: record.number,
      caseId: record.caseId,
      actor: { kind: 'counter', counterId },
      details: { outcome: report.outcome, ...(report.reason ? { reason: report.reason } : {}) },
    });
    return this.deps.printTokens.status(record.number);
  }

  async #authorize(principal: Principal, number: string): Promise<{ record: DocumentRecord; counterId: string }> {
    const record = await requireDocument(this.deps.documents, number);
    authorizeCounterAction(principal, 'document.print', { case: await this.deps.caseFacts(record.caseId) });
    return { record, counterId: principal.counterId };
  }
}
