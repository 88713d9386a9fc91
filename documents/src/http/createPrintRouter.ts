import express, { Router, type Request } from 'express';
import { z } from 'zod';
import { AppError } from '@rvw/signaling/errors/AppError';
import type { Principal } from '@rvw/signaling/auth/Principal';
import type { PrintEvent } from '../print/PrintEvent.js';
import type { PrintTokens } from '../print/PrintTokens.js';
import type { DocumentRecord } from '../store/DocumentRecord.js';
import { DocumentNumberSchema } from './createVerifyRouter.js';
import { documentsErrorHandler } from './documentsErrorHandler.js';
import { allowSameOriginFraming } from '@rvw/signaling/http/security';

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
const PrintConfirmSchema = z.object({ token: z.string().max(64) }).strict();
const PrintReportSchema = z.object({ outcome: z.enum(['success', 'failure']), reason: z.string().trim().max(200).optional() }).strict();
const ReprintApprovalSchema = z.object({ reason: z.string().trim().max(200).optional() }).strict();

/**
 * Printing at the applicant's counter: the counter asks for a single-use token
 * (`POST /api/documents/:number/print-token`), loads the PDF once with it into a frame of its own
 * page (`GET /api/print/:token`, framable by our own origin only; loading is not a print), opens
 * the print dialog and then confirms (`POST /api/documents/:number/print-confirm`): only the
 * confirmation counts. A load failure is reported (`print-report`) and uses up no print. A second
 * print needs the issuing clerk's approval (`POST /api/documents/:number/reprint-approval`).
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
    if (!record) throw new AppError('DOCUMENT_NOT_FOUND', '未找到该文书，请核对文书编号', 404);
    return record;
  };
  const parseBody = <T>(schema: z.ZodType<T>, body: unknown): T => {
    const parsed = schema.safeParse(body ?? {});
    // The schema paths are for the log; the person at the counter gets a sentence.
    if (!parsed.success) throw new AppError('BAD_REQUEST', '打印请求不完整，请重新点击“打印”', 400, { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
    return parsed.data;
  };
  const parseToken = (raw: unknown): string => {
    const token = TokenSchema.safeParse(raw);
    if (!token.success) throw new AppError('PRINT_TOKEN_INVALID', '打印凭证无效、已过期或已使用，请重新点击“打印”', 410);
    return token.data;
  };

  router.post('/api/documents/:number/print-token', async (req, res) => {
    const record = await loadDocument(req.params.number);
    const counter = await deps.authorizeCounter(req, record);
    const issued = await deps.printTokens.issue(record.number, counter.counterId);
    await emit({ type: 'print_token_issued', number: record.number, caseId: record.caseId, actor: { kind: 'counter', counterId: counter.counterId }, details: { reprint: issued.reprint } });
    res.status(201).json({ ok: true, data: { token: issued.token, url: `${req.baseUrl}/api/print/${issued.token}`, expiresInSeconds: issued.expiresInSeconds, reprint: issued.reprint } });
  });

  // The token is the capability: the counter's frame loads with it and nothing else. Loading is
  // not printing: the frame may still fail to show the PDF, so nothing is counted here.
  router.get('/api/print/:token', async (req, res) => {
    // This answer (the PDF, or the error the frame shows instead) is the one our own pages may frame.
    allowSameOriginFraming(res);
    const token = parseToken(req.params.token);
    const { number } = await deps.printTokens.peek(token);
    const record = await loadDocument(number);
    const bytes = await deps.store.readPdf(record);
    // Marked only once the bytes are in hand, so a missing file never uses up a load.
    await deps.printTokens.markLoaded(token, number);
    res.status(200).set({
      'content-type': 'application/pdf',
      'content-disposition': `inline; filename="${record.number}.pdf"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    }).send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });

  // The counter opened the print dialog on the loaded PDF: this, once per token, is the print.
  router.post('/api/documents/:number/print-confirm', json, async (req, res) => {
    const record = await loadDocument(req.params.number);
    const counter = await deps.authorizeCounter(req, record);
    const { token } = parseBody(PrintConfirmSchema, req.body);
    const { printCount } = await deps.printTokens.confirm(parseToken(token), record.number, counter.counterId);
    await emit({ type: 'printed', number: record.number, caseId: record.caseId, actor: { kind: 'counter', counterId: counter.counterId }, details: { printCount, reprint: printCount > 1 } });
    res.json({ ok: true, data: await deps.printTokens.status(record.number) });
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
      throw new AppError('FORBIDDEN', '只有出具该文书的工作人员可以批准重新打印', 403);
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
