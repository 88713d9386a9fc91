import express, { type ErrorRequestHandler, type RequestHandler, type Router } from 'express';
import type { ResolvePrincipal } from '../auth/createPrincipalResolver.js';
import { respondWithError } from '../auth/respondWithError.js';
import { httpErrorOf } from '../http/httpErrorOf.js';
import type { Logger } from '../observability/logger.js';
import { archiveFilters, type ArchiveFiltersDeps } from './archiveFilters.js';
import { openArchiveChat, type ArchiveChatDeps } from './openArchiveChat.js';
import { openArchiveMaterial, type ArchiveMaterialDeps } from './openArchiveMaterial.js';
import { readArchiveCase, type ArchiveCaseDeps } from './readArchiveCase.js';
import { searchCases, type ArchiveSearchDeps } from './searchCases.js';

/** Dependencies of {@link createArchiveRouter}: those of its five use cases. */
export type ArchiveRouterDeps = ArchiveSearchDeps &
  ArchiveFiltersDeps &
  ArchiveCaseDeps &
  ArchiveMaterialDeps &
  ArchiveChatDeps & {
    resolvePrincipal: ResolvePrincipal;
    log: Logger;
    /** A per-administrator budget over every archive request (http/principalBudget). */
    budget?: RequestHandler;
  };

/**
 * The case archive (办件档案) for administrators: `GET /api/admin/cases` (search: a case number,
 * or a date range and filters, paged with a cursor), `GET /api/admin/cases/filters` (what the
 * search form offers) and `GET /api/admin/cases/:caseId` (the case page with its verified audit
 * chain), `GET /api/admin/cases/:caseId/materials/:index` (a material's bytes) and
 * `GET /api/admin/cases/:caseId/chat` (the conversation), each opening audited. The use cases decide access through the policy; this is only the HTTP edge.
 */
export function createArchiveRouter(deps: ArchiveRouterDeps): Router {
  const router = express.Router();
  const base = '/api/admin/cases';
  if (deps.budget) router.use(base, deps.budget);

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

  router.get(`${base}/:caseId/materials/:index`, async (req, res) => {
    const { material, bytes } = await openArchiveMaterial(deps, await deps.resolvePrincipal(req), { caseId: req.params.caseId, index: req.params.index });
    // Personal data: never kept by a cache; shown in the tab, not downloaded.
    res.set({ 'content-type': material.mime, 'cache-control': 'no-store', 'content-disposition': 'inline' }).send(Buffer.from(bytes));
  });

  router.get(`${base}/:caseId/chat`, async (req, res) => {
    const chat = await openArchiveChat(deps, await deps.resolvePrincipal(req), req.params.caseId);
    res.set('cache-control', 'no-store').json({ ok: true, data: chat });
  });

  const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    const e = httpErrorOf(err);
    if (e.code === 'INTERNAL') deps.log.error({ err }, 'case archive request failed');
    respondWithError(res, e);
  };
  router.use(base, onError);
  return router;
}
