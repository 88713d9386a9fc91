import express, { Router, type Request } from 'express';
import { z } from 'zod';
import { AppError } from '../../../signaling/src/errors/AppError';
import type { Principal } from '../../../signaling/src/auth/Principal';
import type { PrintEvent } from '../print/PrintEvent';
import type { PrintTokens } from '../print/PrintTokens';
import type { DocumentRecord } from '../store/DocumentRecord';
import { DocumentNumberSchema } from './createVerifyRouter';
import { documentsErrorHandler } from './documentsErrorHandler';

/** A counter terminal principal. */
export type CounterPrincipal = Extract<Principal, { kind: 'counter' }>;
/** A clerk principal. */
export type ClerkPrincipal = Extract<Principal, { kind: 'staff'; role: 'clerk' }>;

/**
 * Authorizes the request as a counter allowed to print `document` (e.g. the counter of its case);
 * returns the counter or throws AppError UNAUTHENTICATED / FORBIDDEN. Wired by the integrator.
 */
export type AuthorizeCounter = (req: Request, document: DocumentRecord) => CounterPrincipal | Promise<CounterPrincipal>;
/** Authorizes the request as a signed-in clerk; returns the clerk or throws AppError UNAUTHENTICATED / FORBIDDEN. */
export type AuthorizeClerk = (req: Request, document: DocumentRecord) => ClerkPrincipal | Promise<ClerkPrincipal>;

/** Dependencies of {@link createPrintRouter}. */
export interface PrintRouterDeps {
  store: {
    get(number: string): Promise<DocumentRecord | undefined>;
    readPdf(record: Pick<DocumentRecord, 'sha256' | 'number'>): Promise<Uint8Array>;
  };
  printTokens: PrintTokens;
  authorizeCounter: AuthorizeCounter;
  authorizeClerk: AuthorizeClerk;
  /** Receives every print event (token issued, printed, reported, reprint approved) for the case audit. */
  onPrintEvent?: (event: PrintEvent) => void | Promise<void>;
  clock?: () => Date;
}

const TokenSchema = z.string().regex(/^[A-Za-z0-9_-]{32}$/);
const PrintReportSchema = z.object({ outcome: z.enum(['success', 'failure']), reason: z.string().trim().max(200).optional() }).strict();
const ReprintApprovalSchema = z.object({ reason: z.string().trim().max(200).optional() }).strict();

/**
 * Printing at the applicant's counter: the counter asks for a single-use token
 * (`POST /api/documents/:number/print-token`), its printer fetches the PDF once with it
 * (`GET /api/print/:token`), and the counter reports the physical result
 * (`POST /api/documents/:number/print-report`). A second print needs the issuing clerk's
 * approval (`POST /api/documents/:number/reprint-approval`).
 */
export function createPrintRouter(deps: PrintRouterDeps): Router {
  const router = Router();
  const json = express.json({ limit: '8kb' });
  const now = () => (deps.clock ?? (() => new Date()))();
  const emit = async (event: Omit<PrintEvent, 'at'>) => {
    await deps.onPrintEvent?.({ ...event, at: now().toISOString() });
  };
  const loadDocument = async (raw: unknown): Promise<DocumentRecord> => {
    const number = DocumentNumberSchema.safeParse(raw);
    const record = number.success ? await deps.store.get(number.data) : undefined;
    if (!record) throw new AppError('DOCUMENT_NOT_FOUND', '未找到该文书 (document not found)', 404);
    return record;
  };
  const parseBody = <T>(schema: z.ZodType<T>, body: unknown): T => {
    const parsed = schema.safeParse(body ?? {});
    if (!parsed.success) throw new AppError('BAD_REQUEST', `请求参数错误：${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('；')}`, 400);
    return parsed.data;
  };

  router.post('/api/documents/:number/print-token', async (req, res) => {
    const record = await loadDocument(req.params.number);
    const counter = await deps.authorizeCounter(req, record);
    const issued = await deps.printTokens.issue(record.number, counter.counterId);
    await emit({ type: 'print_token_issued', number: record.number, caseId: record.caseId, actor: { kind: 'counter', counterId: counter.counterId }, details: { reprint: issued.reprint } });
    res.status(201).json({ ok: true, data: { token: issued.token, url: `${req.baseUrl}/api/print/${issued.token}`, expiresInSeconds: issued.expiresInSeconds, reprint: issued.reprint } });
  });

  // The token is the capability: the counter's print agent fetches with it and nothing else.
  router.get('/api/print/:token', async (req, res) => {
    const token = TokenSchema.safeParse(req.params.token);
    if (!token.success) throw new AppError('PRINT_TOKEN_INVALID', '打印凭证无效、已过期或已使用，请重新发起打印 (print token invalid)', 410);
    const { number, counterId } = await deps.printTokens.take(token.data);
    const record = await loadDocument(number);
    const bytes = await deps.store.readPdf(record);
    // Counted only once the bytes are in hand, so a missing file never uses up the print.
    const printCount = await deps.printTokens.countPrint(number);
    await emit({ type: 'printed', number, caseId: record.caseId, actor: { kind: 'counter', counterId }, details: { printCount, reprint: printCount > 1 } });
    res.status(200).set({
      'content-type': 'application/pdf',
      'content-disposition': `inline; filename="${record.number}.pdf"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    }).send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });

  router.post('/api/documents/:number/print-report', json, async (req, res) => {
    const record = await loadDocument(req.params.number);
    const counter = await deps.authorizeCounter(req, record);
    const report = parseBody(PrintReportSchema, req.body);
    await deps.printTokens.recordReport(record.number, report.outcome);
    await emit({
      type: 'print_reported',
      number: record.number,
      caseId: record.caseId,
      actor: { kind: 'counter', counterId: counter.counterId },
      details: { outcome: report.outcome, ...(report.reason ? { reason: report.reason } : {}) },
    });
    res.json({ ok: true, data: await deps.printTokens.status(record.number) });
  });

  router.post('/api/documents/:number/reprint-approval', json, async (req, res) => {
    const record = await loadDocument(req.params.number);
    const clerk = await deps.authorizeClerk(req, record);
    if (clerk.staffId !== record.issuedBy) {
      throw new AppError('FORBIDDEN', '只有出具该文书的工作人员可以批准补打 (only the issuing clerk may approve a reprint)', 403);
    }
    const body = parseBody(ReprintApprovalSchema, req.body);
    const available = await deps.printTokens.approveReprint(record.number);
    await emit({
      type: 'reprint_approved',
      number: record.number,
      caseId: record.caseId,
      actor: { kind: 'clerk', staffId: clerk.staffId },
      details: { available, ...(body.reason ? { reason: body.reason } : {}) },
    });
    res.json({ ok: true, data: { available } });
  });

  router.use(documentsErrorHandler);
  return router;
}
