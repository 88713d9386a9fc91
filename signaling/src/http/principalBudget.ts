import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { ResolvePrincipal } from '../auth/createPrincipalResolver.js';
import type { Principal } from '../auth/Principal.js';
import { RedisRateLimitStore } from '../auth/RedisRateLimitStore.js';
import { respondWithError } from '../auth/respondWithError.js';
import { AppError } from '../errors/AppError.js';
import type { RedisClient } from '../store/redisClient.js';

/** Options for {@link principalBudget}. */
export interface PrincipalBudgetOptions {
  /** The budget's name: in the refusal's `details.budget` and in rvw_budget_refusals_total. */
  name: string;
  /** Requests one principal may make per window, on all nodes together. */
  limit: number;
  windowMs: number;
  /** What the refusal tells the person (a Chinese sentence they can act on). */
  message: string;
  resolvePrincipal: ResolvePrincipal;
  /** Counts are kept in the Redis every node shares, so a second node is no way around it. */
  redis: RedisClient;
  /** Called on each refusal (the node's metrics). */
  onRefused?: (budget: string) => void;
}

/** Who a budget is charged to: a staff member or a counter terminal, never an address. */
function principalKey(p: Principal): string | undefined {
  if (p.kind === 'staff') return `staff:${p.staffId}`;
  if (p.kind === 'counter') return `counter:${p.counterId}`;
  return undefined;
}

/**
 * A per-principal request budget for an expensive HTTP route (an export, an archive search):
 * fixed windows counted in Redis across every node, refused with BUDGET_EXCEEDED (429, the
 * budget's name and `Retry-After`). Anonymous requests are not counted here: the route refuses
 * them itself (UNAUTHENTICATED), before any work.
 */
export function principalBudget(o: PrincipalBudgetOptions): RequestHandler {
  const keyOf = async (req: Parameters<RequestHandler>[0]) => principalKey(await o.resolvePrincipal(req));
  return rateLimit({
    windowMs: o.windowMs,
    limit: o.limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    store: new RedisRateLimitStore(o.redis, `budget:${o.name}:`),
    skip: async (req) => (await keyOf(req)) === undefined,
    keyGenerator: async (req) => (await keyOf(req)) ?? 'anonymous',
    handler: (_req, res) => {
      o.onRefused?.(o.name);
      respondWithError(res, new AppError('BUDGET_EXCEEDED', o.message, 429, { budget: o.name, limit: o.limit, windowSeconds: Math.round(o.windowMs / 1000) }));
    },
  });
}
