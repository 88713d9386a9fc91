import express, { Router } from 'express';
import { z } from 'zod';
import type { ResolvePrincipal } from '../../auth/createPrincipalResolver.js';
import { AppError } from '../../errors/AppError.js';
import { approveReprint } from '../../issuing/approveReprint.js';
import { PrintDocument, type PrintDocumentDeps } from '../../issuing/printDocument.js';
import { allowSameOriginFraming } from '../security.js';
import { documentsErrorHandler } from './documentsErrorHandler.js';

/** Dependencies of {@link createPrintRoutes}. */
export interface PrintRoutesDeps extends PrintDocumentDeps {
  resolvePrincipal: ResolvePrincipal;
}

const PrintConfirmSchema = z.object({ token: z.string().max(64) }).strict();
const PrintReportSchema = z.object({ outcome: z.enum(['success', 'failure']), reason: z.string().trim().max(200).optional() }).strict();
const ReprintApprovalSchema = z.object({ reason: z.string().trim().max(200).optional() }).strict();

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  // The schema paths are for the log; the person at the counter gets a sentence.
  if (!parsed.success) throw new AppError('BAD_REQUEST', '打印请求不完整，请重新点击“打印”', 400, { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
  return parsed.data;
}

/**
 * The HTTP edge of printing at the applicant's counter (use cases: issuing/printDocument,
 * issuing/approveReprint): `POST /api/documents/:number/print-token` (201, a single-use token and
 * the URL it opens), `GET /api/print/:token` (the PDF, framable by our own origin only),
 * `POST /api/documents/:number/print-confirm`, `POST /api/documents/:number/print-report`,
 * `POST /api/documents/:number/reprint-approval` (the issuing clerk).
 */
export function createPrintRoutes(deps: PrintRoutesDeps): Router {
  const router = Router();
  const json = express.json({ limit: '8kb' });
  const print = new PrintDocument(deps);

  router.post('/api/documents/:number/print-token', async (req, res) => {
    const issued = await print.requestToken(await deps.resolvePrincipal(req), req.params.number);
    res.status(201).json({ ok: true, data: { token: issued.token, url: `${req.baseUrl}/api/print/${issued.token}`, expiresInSeconds: issued.expiresInSeconds, reprint: issued.reprint } });
  });

  router.get('/api/print/:token', async (req, res) => {
    // This answer (the PDF, or the error the frame shows instead) is the one our own pages may frame.
    allowSameOriginFraming(res);
    const { record, bytes } = await print.load(req.params.token);
    res.status(200).set({
      'content-type': 'application/pdf',
      'content-disposition': `inline; filename="${record.number}.pdf"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    }).send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });

  router.post('/api/documents/:number/print-confirm', json, async (req, res) => {
    const { token } = parseBody(PrintConfirmSchema, req.body);
    res.json({ ok: true, data: await print.confirm(await deps.resolvePrincipal(req), req.params.number, token) });
  });

  router.post('/api/documents/:number/print-report', json, async (req, res) => {
    const report = parseBody(PrintReportSchema, req.body);
    res.json({ ok: true, data: await print.report(await deps.resolvePrincipal(req), req.params.number, report) });
  });

  router.post('/api/documents/:number/reprint-approval', json, async (req, res) => {
    const body = parseBody(ReprintApprovalSchema, req.body);
    res.json({ ok: true, data: await approveReprint(deps, await deps.resolvePrincipal(req), req.params.number, body) });
  });

  router.use(documentsErrorHandler);
  return router;
}
