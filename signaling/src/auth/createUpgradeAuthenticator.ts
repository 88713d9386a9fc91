import type { IncomingMessage } from 'node:http';
import { AppError } from '../errors/AppError.js';
import type { RequestWithHeaders, ResolvePrincipal } from './createPrincipalResolver.js';
import { isAllowedOrigin } from './isAllowedOrigin.js';
import type { Principal } from './Principal.js';

/** Authenticates a WebSocket upgrade request; resolves to a non-anonymous principal or throws. */
export type AuthenticateUpgrade = (req: IncomingMessage | RequestWithHeaders) => Promise<Principal>;

/**
 * Builds `authenticateUpgrade(req)` for the WebSocket layer: the `Origin` header must be one of
 * `allowedOrigins` (missing, `null` or foreign → AppError `ORIGIN_NOT_ALLOWED` 403), and the cookies
 * must resolve to a staff or counter principal (else `UNAUTHENTICATED` 401, `details.reason` set
 * when a cookie was presented but is no longer valid). `allowedOrigins` may be a function, read at
 * each upgrade (a node trusts its region's other nodes as they come and go); `admit` may refuse a
 * principal this endpoint does not take (throws AppError).
 */
export function createUpgradeAuthenticator(deps: {
  allowedOrigins: readonly string[] | (() => readonly string[]);
  resolvePrincipal: ResolvePrincipal;
  admit?: (principal: Principal) => void;
}): AuthenticateUpgrade {
  return async function authenticateUpgrade(req) {
    const raw = req.headers.origin;
    const origin = Array.isArray(raw) ? (raw.length === 1 ? raw[0] : undefined) : raw;
    const allowed = typeof deps.allowedOrigins === 'function' ? deps.allowedOrigins() : deps.allowedOrigins;
    if (!isAllowedOrigin(origin, allowed)) {
      throw new AppError('ORIGIN_NOT_ALLOWED', '请求来源不被允许 (origin not allowed)', 403);
    }
    const principal = await deps.resolvePrincipal(req);
    if (principal.kind === 'anonymous') {
      throw new AppError('UNAUTHENTICATED', '请先登录 (sign-in required)', 401, principal.reason ? { reason: principal.reason } : undefined);
    }
    deps.admit?.(principal);
    return principal;
  };
}
