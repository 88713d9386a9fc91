import express, { Router, type Request, type Response } from 'express';
import { rateLimit, type Store } from 'express-rate-limit';
import { DocumentHandleSchema, type DocumentRecord, type VerifyVerdict } from '@rvw/documents';
import { AppError } from '../../errors/AppError.js';
import { documentsErrorHandler } from './documentsErrorHandler.js';
import { renderVerifyPage } from './renderVerifyPage.js';
import { verifyPageAssets } from './verifyPageAssets.js';

/** Dependencies of {@link createVerifyRoutes}. */
export interface VerifyRoutesDeps {
  store: {
    getByHandle(handle: string): Promise<DocumentRecord | undefined>;
    readPdf(record: Pick<DocumentRecord, 'sha256' | 'number'>): Promise<Uint8Array>;
  };
  /** Verifies PDF bytes (e.g. `verifyPdf` bound to the trust anchors and the store). */
  verify(bytes: Uint8Array): Promise<VerifyVerdict>;
  /** Upload limit; 10 MB by default. */
  maxUploadBytes?: number;
  /**
   * Look-ups and uploads per client IP: 30 a minute by default (a person checks a handful of
   * documents; a crawler gets 429). Pass a shared store (e.g. Redis) so the budget holds across nodes.
   */
  rateLimit?: { windowMs: number; limit: number; store?: Store };
}

// The page carries neither inline script nor inline style, so the policy can be strict.
const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/**
 * Public verification: `GET /verify` and `GET /verify/:handle` (HTML page in Simplified Chinese,
 * verdict on the stored copy + upload form), `POST /verify` (raw application/pdf body → JSON
 * verdict). No authentication: anyone holding a printed document may check it.
 */
export function createVerifyRoutes(deps: VerifyRoutesDeps): Router {
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

  const limits = deps.rateLimit ?? { windowMs: 60_000, limit: 30 };
  const perIp = rateLimit({
    windowMs: limits.windowMs,
    limit: limits.limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    ...(limits.store ? { store: limits.store } : {}),
    handler: (req, res) => {
      if (req.method === 'GET') page(req, res, 429, renderVerifyPage({ basePath: req.baseUrl, rateLimited: true }));
      else res.status(429).json({ ok: false, error: { code: 'RATE_LIMITED', message: '核验请求过于频繁，请稍后再试' } });
    },
  });

  // Only the random handle opens a document: the printed number is sequential and would let
  // anyone count a region's documents per item.
  router.get('/verify/:handle', perIp, async (req, res) => {
    const handle = DocumentHandleSchema.safeParse(req.params.handle);
    const record = handle.success ? await deps.store.getByHandle(handle.data) : undefined;
    if (!record) {
      page(req, res, 404, renderVerifyPage({ basePath: req.baseUrl, notFound: true }));
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

  router.post('/verify', perIp, express.raw({ type: 'application/pdf', limit: deps.maxUploadBytes ?? 10 * 1024 * 1024 }), async (req, res) => {
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
