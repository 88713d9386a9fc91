import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { AppError } from '../../../signaling/src/errors/AppError';
import type { DocumentRecord } from '../store/DocumentRecord';
import type { VerifyVerdict } from '../verify/VerifyVerdict';
import { documentsErrorHandler } from './documentsErrorHandler';
import { renderVerifyPage } from './renderVerifyPage';
import { verifyPageAssets } from './verifyPageAssets';

/** Document number as accepted in URLs (same alphabet as issued numbers). */
export const DocumentNumberSchema = z.string().regex(/^[A-Z0-9][A-Z0-9-]{5,63}$/);

/** Dependencies of {@link createVerifyRouter}. */
export interface VerifyRouterDeps {
  store: {
    get(number: string): Promise<DocumentRecord | undefined>;
    readPdf(record: Pick<DocumentRecord, 'sha256' | 'number'>): Promise<Uint8Array>;
  };
  /** Verifies PDF bytes (e.g. `verifyPdf` bound to the trust anchors and the store). */
  verify(bytes: Uint8Array): Promise<VerifyVerdict>;
  /** Upload limit; 10 MB by default. */
  maxUploadBytes?: number;
}

// The page carries neither inline script nor inline style, so the policy can be strict.
const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/**
 * Public verification: `GET /verify` and `GET /verify/:number` (HTML page in Simplified Chinese,
 * verdict on the stored copy + upload form), `POST /verify` (raw application/pdf body → JSON
 * verdict). No authentication: anyone holding a printed document may check it.
 */
export function createVerifyRouter(deps: VerifyRouterDeps): Router {
  const router = Router();
  const page = (req: Request, res: Response, status: number, html: string) => {
    res.status(status).set({ 'content-type': 'text/html; charset=utf-8', 'content-security-policy': PAGE_CSP, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }).send(html);
  };

  router.get('/verify/assets/verify.js', (_req, res) => {
    res.set({ 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' }).send(verifyPageAssets.script);
  });
  router.get('/verify/assets/verify.css', (_req, res) => {
    res.set({ 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' }).send(verifyPageAssets.style);
  });

  router.get('/verify', (req, res) => {
    page(req, res, 200, renderVerifyPage({ basePath: req.baseUrl }));
  });

  router.get('/verify/:number', async (req, res) => {
    const number = DocumentNumberSchema.safeParse(req.params.number);
    const record = number.success ? await deps.store.get(number.data) : undefined;
    if (!record) {
      page(req, res, 404, renderVerifyPage({ basePath: req.baseUrl, number: String(req.params.number).slice(0, 64) }));
      return;
    }
    // Verify the archived copy itself, so a corrupted or swapped file on disk shows as invalid.
    const bytes = await deps.store.readPdf(record).catch(() => undefined);
    if (!bytes) {
      page(req, res, 200, renderVerifyPage({ basePath: req.baseUrl, number: record.number, record, archiveMissing: true }));
      return;
    }
    const verdict = await deps.verify(bytes);
    page(req, res, 200, renderVerifyPage({ basePath: req.baseUrl, number: record.number, record, verdict }));
  });

  router.post('/verify', express.raw({ type: 'application/pdf', limit: deps.maxUploadBytes ?? 10 * 1024 * 1024 }), async (req, res) => {
    const body: unknown = req.body;
    if (!Buffer.isBuffer(body) || body.length === 0) {
      throw new AppError('DOCUMENT_INVALID_UPLOAD', '请以 application/pdf 格式上传 PDF 文件 (expected a non-empty application/pdf body)', 415);
    }
    const verdict = await deps.verify(new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
    res.set('cache-control', 'no-store').json({ ok: true, data: verdict });
  });

  router.use(documentsErrorHandler);
  return router;
}
