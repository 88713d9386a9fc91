import express, { type Router } from 'express';
import { z } from 'zod';
import type { ResolvePrincipal } from '../auth/createPrincipalResolver.js';
import { parseInput } from '../catalog/parseInput.js';
import { listClerkCases } from '../cases/listClerkCases.js';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import type { RedisClient } from '../store/redisClient.js';

const HistoryQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(30),
  cursor: z.string().regex(/^\d{1,15}:[\w-]{1,128}$/, '翻页位置无效，请刷新列表').optional(),
});

/**
 * The clerk's own workbench data: `GET /api/clerk/cases?limit=&cursor=` lists the cases the clerk
 * accepted, newest first, applicant names masked (我的办件); a case opens in the page as usual.
 */
export function createClerkRouter(deps: { resolvePrincipal: ResolvePrincipal; redis: RedisClient; getCases(ids: readonly string[]): Promise<(CaseRecord | undefined)[]> }): Router {
  const router = express.Router();
  router.get('/api/clerk/cases', async (req, res) => {
    const principal = await deps.resolvePrincipal(req);
    const q = parseInput(HistoryQuery, req.query);
    const page = await listClerkCases(deps, principal, { limit: q.limit, ...(q.cursor !== undefined ? { cursor: q.cursor } : {}) });
    res.set('cache-control', 'no-store').json({ ok: true, data: page });
  });
  return router;
}
