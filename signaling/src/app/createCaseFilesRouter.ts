import express, { type ErrorRequestHandler, type Router } from 'express';
import type { ResolvePrincipal } from '../auth/createPrincipalResolver.js';
import { authorize } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { respondWithError } from '../auth/respondWithError.js';
import { caseFacts } from '../cases/caseFacts.js';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import { DocumentType } from '@rvw/protocol/catalog';
import { AppError } from '../errors/AppError.js';
import { allowSameOriginFraming } from '../http/security.js';
import { httpErrorOf } from '../http/httpErrorOf.js';
import type { Logger } from '../observability/logger.js';

/** Dependencies of {@link createCaseFilesRouter}; the node wires them to its stores and services. */
export interface CaseFilesRouterDeps {
  resolvePrincipal: ResolvePrincipal;
  getCase(caseId: string): Promise<CaseRecord>;
  /** The bytes of a stored material. */
  readBlob(sha256: string): Promise<Uint8Array>;
  /** The document types the case's item is configured to issue. */
  documentTypes(record: CaseRecord): Promise<DocumentType[]>;
  /** Renders the unsigned, 预览-marked document the clerk would issue (checks the type is offered). */
  previewDocument(principal: Principal, record: CaseRecord, docType: DocumentType): Promise<{ title: string; bytes: Uint8Array }>;
  log: Logger;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * What the clerk's page looks at besides the case record, same-origin and policy-checked:
 * `GET /api/cases/:caseId/materials/:sha256` (a captured material, for the two sides handling the
 * case), `GET /api/cases/:caseId/document-types` (what the item issues, for the 出具文书 choice) and
 * `GET /api/cases/:caseId/documents/preview/:docType` (the document before 签章出具, framable by
 * our own pages only; nothing numbered, signed or stored).
 */
export function createCaseFilesRouter(deps: CaseFilesRouterDeps): Router {
  const router = express.Router();
  const load = async (req: express.Request, action: 'material.read' | 'case.read' | 'document.issue') => {
    const principal = await deps.resolvePrincipal(req);
    // Who asks is settled before anything about the case is revealed, even whether it exists.
    if (principal.kind === 'anonymous') authorize(principal, action, { case: { servingRegion: '', applicantRegion: '', counterId: '', itemCode: '' } });
    const record = await deps.getCase(String(req.params.caseId));
    authorize(principal, action, { case: caseFacts(record) });
    return { principal, record };
  };

  router.get('/api/cases/:caseId/materials/:sha256', async (req, res) => {
    const { record } = await load(req, 'material.read');
    const material = SHA256_HEX.test(req.params.sha256) ? record.materials.find((m) => m.sha256 === req.params.sha256) : undefined;
    if (!material) throw new AppError('MATERIAL_NOT_FOUND', '该办件中没有这份材料', 404);
    const bytes = await deps.readBlob(material.sha256);
    // Content-addressed: the bytes behind this URL never change, but they are personal data.
    res.set({ 'content-type': material.mime, 'cache-control': 'private, max-age=3600', 'content-disposition': 'inline' }).send(Buffer.from(bytes));
  });

  router.get('/api/cases/:caseId/document-types', async (req, res) => {
    const { record } = await load(req, 'case.read');
    res.set('cache-control', 'no-store').json({ ok: true, data: { types: await deps.documentTypes(record) } });
  });

  router.get('/api/cases/:caseId/documents/preview/:docType', async (req, res) => {
    const { principal, record } = await load(req, 'document.issue');
    const docType = DocumentType.safeParse(req.params.docType);
    if (!docType.success) throw new AppError('DOCUMENT_TYPE_UNKNOWN', '没有这种文书类型，请从列表中选择', 400);
    const preview = await deps.previewDocument(principal, record, docType.data);
    allowSameOriginFraming(res);
    res
      .set({ 'content-type': 'application/pdf', 'cache-control': 'no-store', 'content-disposition': `inline; filename="preview.pdf"` })
      .send(Buffer.from(preview.bytes));
  });

  const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    const e = httpErrorOf(err);
    if (e.code === 'INTERNAL') deps.log.error({ err }, 'case file request failed');
    respondWithError(res, e);
  };
  router.use('/api/cases', onError);
  return router;
}
