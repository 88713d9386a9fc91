import express, { type ErrorRequestHandler, type Router } from 'express';
import { pipeline } from 'node:stream/promises';
import type { ResolvePrincipal } from '../auth/createPrincipalResolver.js';
import { respondWithError } from '../auth/respondWithError.js';
import { httpErrorOf } from '../http/httpErrorOf.js';
import type { Logger } from '../observability/logger.js';
import { exportEvidence, type ExportEvidenceDeps } from './exportEvidence.js';

/** Dependencies of {@link createEvidenceRouter}. */
export interface EvidenceRouterDeps extends ExportEvidenceDeps {
  resolvePrincipal: ResolvePrincipal;
  log: Logger;
}

/**
 * `GET /api/cases/:caseId/evidence`: the case's evidence bundle as one tar archive (see
 * exportEvidence), for the serving region's administrators and the clerk who handled the case;
 * the export is in the case's audit chain before a byte is sent. Verified offline with
 * `npm run verify-evidence`.
 */
export function createEvidenceRouter(deps: EvidenceRouterDeps): Router {
  const router = express.Router();
  router.get('/api/cases/:caseId/evidence', async (req, res) => {
    const principal = await deps.resolvePrincipal(req);
    const exported = await exportEvidence(deps, principal, String(req.params.caseId));
    try {
      res.set({
        'content-type': 'application/x-tar',
        'content-disposition': `attachment; filename="${exported.fileName}"`,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
      await pipeline(exported.archive, res);
    } catch (e) {
      // The client went away mid-download: nothing to answer, the staging goes anyway.
      deps.log.warn({ err: e, caseId: req.params.caseId }, 'evidence bundle not fully sent');
    } finally {
      await exported.dispose();
    }
  });
  const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    const e = httpErrorOf(err);
    if (e.code === 'INTERNAL') deps.log.error({ err }, 'evidence export failed');
    respondWithError(res, e);
  };
  router.use('/api/cases/:caseId/evidence', onError);
  return router;
}
