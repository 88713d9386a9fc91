import express, { type ErrorRequestHandler, type Router } from 'express';
import type { ResolvePrincipal } from '../auth/createPrincipalResolver.js';
import { respondWithError } from '../auth/respondWithError.js';
import { httpErrorOf } from '../http/httpErrorOf.js';
import type { Logger } from '../observability/logger.js';
import { archiveFilters, type ArchiveFiltersDeps } from './archiveFilters.js';
import { readArchiveCase, type ArchiveCaseDeps } from './readArchiveCase.js';
import { searchCases, type ArchiveSearchDeps } from './searchCases.js';

/** Dependencies of {@link createArchiveRouter}: those of its three use cases. */
export type ArchiveRouterDeps = ArchiveSearchDeps &
  ArchiveFiltersDeps &
  ArchiveCaseDeps & {
    resolvePrincipal: ResolvePrincipal;
    log: Logger;
  };

/**
 * The case archive (办件档案) for administrators: `GET /api/admin/cases` (search: a case number,
 * or a date range and filters, paged with a cursor), `GET /api/admin/cases/filters` (what the
 * search form offers) and `GET /api/admin/cases/:caseId` (the case page with its verified audit
 * chain). The use cases decide access through the policy; this is only the HTTP edge.
 */
export function createArchiveRouter(deps: ArchiveRouterDeps): Router {
  const router = express.Router();
  const base = '/api/admin/cases';

  router.get(base, async (req, res) => {
    const page = await searchCases(deps, await deps.resolvePrincipal(req), req.query);
    res.set('cache-control', 'no-store').json({ ok: true, data: page });
  });

  // Before `:caseId`, which would otherwise take "filters" for an id.
  router.get(`${base}/filters`, async (req, res) => {
    res.set('cache-control', 'no-store').json({ ok: true, data: await archiveFilters(deps, await deps.resolvePrincipal(req)) });
  });

  router.get(`${base}/:caseId`, async (req, res) => {
    const detail = await readArchiveCase(deps, await deps.resolvePrincipal(req), req.params.caseId);
    res.set('cache-control', 'no-store').json({ ok: true, data: detail });
  });

  const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    const e = httpErrorOf(err);
    if (e.code === 'INTERNAL') deps.log.error({ err }, 'case archive request failed');
    respondWithError(res, e);
  };
  router.use(base, onError);
  return router;
}
