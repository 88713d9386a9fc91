import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Router } from 'express';
import { z } from 'zod';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import type { Partnership } from '@rvw/protocol/catalog';
import { StatsQueryInput, type PoorRatingFollowUpInput } from '@rvw/protocol/stats';
import type { ResolvePrincipal } from '../auth/createPrincipalResolver.js';
import { authorizeWithReason, can, requireAdmin, type AdminPrincipal } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { respondWithError } from '../auth/respondWithError.js';
import { parseInput } from '../catalog/parseInput.js';
import { AppError } from '../errors/AppError.js';
import { httpErrorOf } from '../http/httpErrorOf.js';
import type { Logger } from '../observability/logger.js';
import type { StatsReader } from './StatsReader.js';
import { figuresTable, ratingsTable, toCsv, toXlsx, type Table } from './statsExport.js';

/** Dependencies of {@link createStatsRouter}. */
export interface StatsRouterDeps {
  resolvePrincipal: ResolvePrincipal;
  reader: StatsReader;
  partnerships(): Promise<Partnership[]>;
  itemName(code: string): Promise<string>;
  followUp(principal: Principal, caseId: string, input: PoorRatingFollowUpInput): Promise<CaseRecord>;
  log: Logger;
  /** Per-administrator budgets (http/principalBudget): the figures and live view, and the exports. */
  budgets?: { queries: RequestHandler; exports: RequestHandler };
}

/** At most this many rows in one 好差评 export (a range that needs more is split by the person). */
export const RATINGS_EXPORT_MAX = 50_000;

const ExportQuery = z.object({ format: z.enum(['csv', 'xlsx']), kind: z.enum(['ratings', 'figures']) });

/**
 * The statistics API for administrators: `GET /api/admin/stats` (a range's figures),
 * `GET /api/admin/stats/live` (queues and clerks now), `GET /api/admin/stats/export` (CSV/XLSX) and
 * `POST /api/admin/stats/poor/:caseId/follow-up` (整改 of a 差评). Every answer covers only the
 * partnerships the policy lets the administrator see (`stats.read`: either region is theirs).
 */
export function createStatsRouter(deps: StatsRouterDeps): Router {
  const router = express.Router();
  const base = '/api/admin/stats';

  const visible = async (req: Request): Promise<{ principal: AdminPrincipal; partnerships: Partnership[] }> => {
    const principal = await deps.resolvePrincipal(req);
    requireAdmin(principal);
    return { principal, partnerships: (await deps.partnerships()).filter((p) => can(principal, 'stats.read', { regionCodes: p.regions })) };
  };
  /** The query, and refusal (with the reason) of a partnership the administrator may not see. */
  const queryOf = async (req: Request) => {
    const { principal, partnerships } = await visible(req);
    const { format: _f, kind: _k, ...rest } = req.query as Record<string, unknown>;
    const q = parseInput(StatsQueryInput, rest);
    if (q.partnershipId) {
      const p = (await deps.partnerships()).find((x) => x.id === q.partnershipId);
      if (!p) throw new AppError('CATALOG_PARTNERSHIP_NOT_FOUND', `合作关系 ${q.partnershipId} 不存在`, 404, { partnershipId: q.partnershipId });
      authorizeWithReason(principal, 'stats.read', { regionCodes: p.regions });
    }
    return { q, partnerships };
  };

  const pass: RequestHandler = (_req, _res, next) => next();
  const queries = deps.budgets?.queries ?? pass;
  const exports = deps.budgets?.exports ?? pass;

  router.get(base, queries, async (req, res) => {
    const { q, partnerships } = await queryOf(req);
    res.set('cache-control', 'no-store').json({ ok: true, data: await deps.reader.report(partnerships, q) });
  });

  router.get(`${base}/live`, queries, async (req, res) => {
    const { partnerships } = await visible(req);
    res.set('cache-control', 'no-store').json({ ok: true, data: await deps.reader.live(partnerships, deps.itemName) });
  });

  router.get(`${base}/export`, exports, async (req, res) => {
    const { format, kind } = parseInput(ExportQuery, { format: req.query.format, kind: req.query.kind });
    const { q, partnerships } = await queryOf(req);
    let table: Table;
    if (kind === 'ratings') {
      const ids = partnerships.map((p) => p.id).filter((id) => !q.partnershipId || id === q.partnershipId);
      table = ratingsTable(await deps.reader.ratings(ids, q, { poorOnly: false, limit: RATINGS_EXPORT_MAX }));
    } else {
      table = figuresTable(await deps.reader.report(partnerships, q));
    }
    const name = `${kind === 'ratings' ? 'haochaping' : 'banjian-tongji'}-${q.from}-${q.to}.${format}`;
    const body = format === 'csv' ? toCsv(table) : await toXlsx(table);
    res
      .set({
        'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        'content-disposition': `attachment; filename="${name}"`,
        'cache-control': 'no-store',
      })
      .send(body);
  });

  router.post(`${base}/poor/:caseId/follow-up`, express.json({ limit: '16kb' }), async (req, res) => {
    const principal = await deps.resolvePrincipal(req);
    requireAdmin(principal);
    const record = await deps.followUp(principal, String(req.params.caseId), req.body as PoorRatingFollowUpInput);
    res.json({ ok: true, data: { caseId: record.id, version: record.version, ratings: record.ratings } });
  });

  const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    const e = httpErrorOf(err);
    if (e.code === 'INTERNAL') deps.log.error({ err }, 'statistics request failed');
    respondWithError(res, e);
  };
  router.use(base, onError);
  return router;
}
