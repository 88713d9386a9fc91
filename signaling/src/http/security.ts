import type { RequestHandler, Response } from 'express';
import helmet from 'helmet';
import type { ResolvePrincipal } from '../auth/createPrincipalResolver.js';
import { isAllowedOrigin } from '../auth/isAllowedOrigin.js';
import { respondWithError } from '../auth/respondWithError.js';
import { AppError } from '../errors/AppError.js';

/** The WebSocket origin of an HTTP origin (`https://a.b` → `wss://a.b`): what connect-src and clients name. */
export function wsOriginOf(origin: string | URL): string {
  const u = new URL(origin);
  return `${u.protocol === 'https:' ? 'wss:' : 'ws:'}//${u.host}`;
}

/**
 * Security headers (helmet): a CSP allowing only our own origin for scripts, styles, fetch and
 * WebSocket (ws:/wss: to ourselves), `blob:` for media and images, no framing (frame-ancestors
 * 'none'), no referrer; HSTS and upgrade-insecure-requests only when the public origin is https.
 */
export function securityHeaders(opts: {
  publicOrigin: string;
  allowedOrigins?: readonly string[];
  /**
   * The origins of this region's other nodes, read per response: a page's socket moves to one of
   * them when the node that served the page dies, so connect-src must name them.
   */
  siblingOrigins?: () => readonly string[];
  /** The counter terminals' ID-card reader service (人证核验): the pages fetch from it. */
  idCardReaderUrl?: string | undefined;
}): RequestHandler {
  const origins = [...new Set([opts.publicOrigin, ...(opts.allowedOrigins ?? [])])].map((o) => new URL(o));
  const https = new URL(opts.publicOrigin).protocol === 'https:';
  const wsOrigins = origins.map(wsOriginOf);
  const siblings = opts.siblingOrigins;
  const siblingSources = siblings ? [() => siblings().map((o) => `${new URL(o).origin} ${wsOriginOf(o)}`).join(' ')] : [];
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        mediaSrc: ["'self'", 'blob:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'", ...wsOrigins, ...siblingSources, ...(opts.idCardReaderUrl ? [new URL(opts.idCardReaderUrl).origin] : [])],
        workerSrc: ["'self'", 'blob:'],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        ...(https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    // Media elements and blob: snapshots must work; we embed nothing cross-origin.
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: https ? { maxAge: 180 * 24 * 3600, includeSubDomains: false } : false,
    xFrameOptions: { action: 'deny' },
  });
}

/**
 * For one response only (the PDF a counter prints): our own pages may frame it, nothing else may,
 * and the document itself may load nothing. Every other response keeps frame-ancestors 'none' / DENY.
 */
export function allowSameOriginFraming(res: Response): void {
  res.set({ 'content-security-policy': "default-src 'none'; frame-ancestors 'self'", 'x-frame-options': 'SAMEORIGIN' });
}

/**
 * Middleware putting the request's Principal on `res.locals.principal`. Unless `allowAnonymous`,
 * an anonymous request is answered 401 `UNAUTHENTICATED` (with `details.reason` when a session or
 * device cookie was presented but is no longer valid, e.g. `AUTH_SESSION_EXPIRED`).
 */
export function requirePrincipal(resolvePrincipal: ResolvePrincipal, opts: { allowAnonymous?: boolean } = {}): RequestHandler {
  return (req, res, next) => {
    resolvePrincipal(req).then(
      (principal) => {
        res.locals.principal = principal;
        if (principal.kind === 'anonymous' && !opts.allowAnonymous) {
          respondWithError(res, new AppError('UNAUTHENTICATED', '请先登录 (sign-in required)', 401, principal.reason ? { reason: principal.reason } : undefined));
          return;
        }
        next();
      },
      (error: unknown) => next(error),
    );
  };
}

/** Methods that change nothing; everything else must prove it comes from our own pages. */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF guard for every state-changing request, mounted once before all routers: the `Origin`
 * header must be one of `allowedOrigins`; without an Origin, `Sec-Fetch-Site: same-origin` is
 * accepted (a browser that omits Origin still says where the request comes from); with neither,
 * or anything else, ORIGIN_NOT_ALLOWED (403, `details.reason`). Cookies are SameSite=Strict too,
 * but a page on another port of the same host is same-site: the origin is what tells them apart.
 * `exempt` paths change nothing despite their method (POST /verify checks an uploaded PDF).
 */
export function requireSameOrigin(opts: { allowedOrigins: readonly string[]; exempt?: readonly string[] }): RequestHandler {
  const exempt = new Set(opts.exempt ?? []);
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method) || exempt.has(req.path)) {
      next();
      return;
    }
    const origin = req.headers.origin;
    const site = req.headers['sec-fetch-site'];
    let reason: 'origin_not_allowed' | 'origin_missing' | undefined;
    if (origin !== undefined) reason = isAllowedOrigin(origin, opts.allowedOrigins) ? undefined : 'origin_not_allowed';
    else reason = site === 'same-origin' ? undefined : 'origin_missing';
    if (reason) {
      respondWithError(res, new AppError('ORIGIN_NOT_ALLOWED', '请求来源不被允许，请从本系统页面操作 (origin not allowed)', 403, { reason }));
      return;
    }
    next();
  };
}
