import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { rateLimit, type Store } from 'express-rate-limit';
import { z } from 'zod';
import type { Config } from '../config.js';
import { AppError } from '../errors/AppError.js';
import { requirePrincipal } from '../http/security.js';
import type { Logger } from '../observability/logger.js';
import type { AuthCookies } from './authCookies.js';
import { authSchemas } from './authSchemas.js';
import type { CounterRegistry } from './CounterRegistry.js';
import type { ResolvePrincipal } from './createPrincipalResolver.js';
import type { InviteService } from './InviteService.js';
import { isAllowedOrigin } from './isAllowedOrigin.js';
import { parseCookies } from './parseCookies.js';
import { hashToken } from './hashToken.js';
import type { PasskeyService } from './PasskeyService.js';
import type { Principal } from './Principal.js';
import { httpErrorOf } from '../http/httpErrorOf.js';
import { respondWithError } from './respondWithError.js';
import type { RevocationBus } from './RevocationBus.js';
import type { SessionStore } from './SessionStore.js';
import type { StaffAdmin } from './StaffAdmin.js';

/** A rate limit: at most `limit` requests per client IP per `windowMs`. */
export interface RateLimitRule {
  windowMs: number;
  limit: number;
}

/** Rate limits of the sensitive endpoint groups. */
export interface AuthRateLimits {
  /** `/api/auth/login/*` */
  login: RateLimitRule;
  /** `/api/auth/register/*`, `/api/auth/invites/inspect` */
  registration: RateLimitRule;
  /** `POST /api/admin/invites` */
  invite: RateLimitRule;
  /** `POST /api/auth/counter/activate` */
  activation: RateLimitRule;
}

/** Default {@link AuthRateLimits} (per client IP, per minute). */
const DEFAULT_RATE_LIMITS: AuthRateLimits = {
  login: { windowMs: 60_000, limit: 60 },
  registration: { windowMs: 60_000, limit: 20 },
  invite: { windowMs: 60_000, limit: 30 },
  activation: { windowMs: 60_000, limit: 10 },
};

/** Dependencies of {@link createAuthRouter}. */
/** The catalogue name of a region or service item, or undefined when unknown. */
export type NameOf = (kind: 'region' | 'item', code: string) => Promise<string | undefined>;

export interface AuthRouterDeps {
  config: Readonly<Pick<Config, 'http'>>;
  /** Names for the codes an invite grants (shown on the enrolment page). */
  nameOf?: NameOf;
  passkeys: PasskeyService;
  invites: InviteService;
  staffAdmin: StaffAdmin;
  counters: CounterRegistry;
  sessions: SessionStore;
  /** Where logout announces the session's end, so its open sockets close on every node. */
  revocations: RevocationBus;
  resolvePrincipal: ResolvePrincipal;
  cookies: AuthCookies;
  logger: Logger;
  /** Store per limiter (e.g. RedisRateLimitStore); in-memory when omitted. */
  rateLimitStore?: (name: keyof AuthRateLimits) => Store;
  rateLimits?: Partial<AuthRateLimits>;
}

/**
 * The auth HTTP API as an express Router (mount at `/`): passkey registration and sign-in,
 * logout, `me`, admin staff / invite / counter management and counter activation. Bodies are JSON
 * validated with zod; every error is `{ ok: false, error: { code, message, details? } }`, every
 * success `{ ok: true, data }`. POSTs carrying a foreign `Origin` are refused (ORIGIN_NOT_ALLOWED).
 */
export function createAuthRouter(deps: AuthRouterDeps): Router {
  const { passkeys, invites, staffAdmin, counters, sessions, cookies, logger } = deps;
  const limits = { ...DEFAULT_RATE_LIMITS, ...deps.rateLimits };
  const limiter = (name: keyof AuthRateLimits) =>
    rateLimit({
      windowMs: limits[name].windowMs,
      limit: limits[name].limit,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      ...(deps.rateLimitStore ? { store: deps.rateLimitStore(name) } : {}),
      handler: (_req, res) => respondWithError(res, new AppError('RATE_LIMITED', '请求过于频繁，请稍后再试 (too many requests)', 429)),
    });
  const limitLogin = limiter('login');
  const limitRegistration = limiter('registration');
  const limitInvite = limiter('invite');
  const limitActivation = limiter('activation');
  const signedIn = requirePrincipal(deps.resolvePrincipal);
  const principalOf = (res: Response) => res.locals.principal as Principal;
  const ok = (res: Response, data: unknown, status = 200) => res.status(status).json({ ok: true, data });

  const router = express.Router();
  router.use(['/api/auth', '/api/admin'], (req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Cache-Control', 'no-store');
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.headers.origin !== undefined && !isAllowedOrigin(req.headers.origin, deps.config.http.allowedOrigins)) {
      respondWithError(res, new AppError('ORIGIN_NOT_ALLOWED', '请求来源不被允许 (origin not allowed)', 403));
      return;
    }
    next();
  });
  router.use(['/api/auth', '/api/admin'], express.json({ limit: '100kb' }));

  // --- passkey enrolment (invite) ---
  router.post('/api/auth/invites/inspect', limitRegistration, async (req, res) => {
    const body = parse(authSchemas.inviteToken, req.body);
    const summary = await passkeys.inspectInvite(body.token);
    // Only the names of what this invite grants: the holder of a valid token learns nothing more.
    const scope = summary.scope;
    const regionCodes = scope.role === 'admin' ? scope.regionCodes : [scope.regionCode];
    const itemCodes = scope.role === 'clerk' ? scope.itemCodes : [];
    const named = async (kind: 'region' | 'item', codes: string[]) =>
      Object.fromEntries(await Promise.all(codes.map(async (c) => [c, (await deps.nameOf?.(kind, c)) ?? c] as const)));
    ok(res, { ...summary, names: { regions: await named('region', regionCodes), items: await named('item', itemCodes) } });
  });
  router.post('/api/auth/register/options', limitRegistration, async (req, res) => {
    const body = parse(authSchemas.registerOptions, req.body);
    ok(res, await passkeys.registrationOptions({ token: body.token, ...(body.name ? { name: body.name } : {}) }));
  });
  router.post('/api/auth/register/verify', limitRegistration, async (req, res) => {
    const body = parse(authSchemas.registerVerify, req.body);
    const result = await passkeys.verifyRegistration({ token: body.token, response: body.response as RegistrationResponseJSON });
    logger.info({ event: 'auth.enrolled', staffId: result.staffId, role: result.role }, 'passkey enrolled');
    ok(res, result, 201);
  });

  // --- sign-in ---
  router.post('/api/auth/login/options', limitLogin, async (_req, res) => {
    ok(res, { options: await passkeys.authenticationOptions() });
  });
  router.post('/api/auth/login/verify', limitLogin, async (req, res) => {
    const body = parse(authSchemas.loginVerify, req.body);
    const { sessionId, principal } = await passkeys.verifyAuthentication(body.response as AuthenticationResponseJSON);
    // No session fixation / pile-up: a session presented with a new sign-in is ended.
    const previous = parseCookies(req.headers.cookie).get(cookies.session);
    if (previous) await sessions.destroy(previous);
    res.cookie(cookies.session, sessionId, cookies.attributes(sessions.absoluteLifetimeMs));
    logger.info({ event: 'auth.login', staffId: principal.staffId, role: principal.role }, 'staff signed in');
    ok(res, { principal, redirect: principal.role === 'admin' ? '/admin.html' : '/clerk.html' });
  });
  router.post('/api/auth/logout', async (req, res) => {
    const sid = parseCookies(req.headers.cookie).get(cookies.session);
    if (sid) {
      await sessions.destroy(sid);
      // Sockets opened with this session stop answering too (on whichever node holds them).
      await deps.revocations.publish({ kind: 'session', sessionKey: hashToken(sid), reason: 'session.logout' });
    }
    res.clearCookie(cookies.session, { ...cookies.attributes(0), maxAge: undefined });
    ok(res, { loggedOut: true });
  });
  router.get('/api/auth/me', signedIn, (_req, res) => {
    ok(res, { principal: principalOf(res) });
  });

  // --- counter activation ---
  router.post('/api/auth/counter/activate', limitActivation, async (req, res) => {
    const body = parse(authSchemas.activateCounter, req.body);
    const { deviceToken, counter } = await counters.activate(body);
    res.cookie(cookies.device, deviceToken, cookies.attributes(counters.deviceLifetimeMs));
    logger.info({ event: 'auth.counter.activated', counterId: counter.counterId }, 'counter activated');
    ok(res, { counter });
  });

  // --- administration ---
  router.post('/api/admin/invites', limitInvite, signedIn, async (req, res) => {
    const body = parse(authSchemas.createInvite, req.body);
    const actor = principalOf(res);
    const invite = await invites.createInvite(actor, body);
    logger.info({ event: 'auth.invite.created', by: staffIdOf(actor) }, 'invite created');
    ok(res, invite, 201);
  });
  router.get('/api/admin/invites', signedIn, async (_req, res) => {
    ok(res, { invites: await invites.listPending(principalOf(res)) });
  });
  router.post('/api/admin/invites/:id/revoke', signedIn, async (req, res) => {
    const { id } = parse(authSchemas.idParam, req.params);
    const actor = principalOf(res);
    const revoked = await invites.revoke(actor, id);
    logger.info({ event: 'auth.invite.revoked', by: staffIdOf(actor) }, 'invite revoked');
    ok(res, revoked);
  });
  router.get('/api/admin/staff', signedIn, async (_req, res) => {
    ok(res, { staff: await staffAdmin.listStaff(principalOf(res)) });
  });
  router.post('/api/admin/staff/:id/disable', signedIn, async (req, res) => {
    const { id } = parse(authSchemas.idParam, req.params);
    const actor = principalOf(res);
    const staff = await staffAdmin.disableStaff(actor, id);
    logger.info({ event: 'auth.staff.disabled', staffId: id, by: staffIdOf(actor) }, 'staff disabled');
    ok(res, { staff });
  });
  router.post('/api/admin/credentials/:id/revoke', signedIn, async (req, res) => {
    const { id } = parse(authSchemas.idParam, req.params);
    const actor = principalOf(res);
    const credential = await staffAdmin.revokeCredential(actor, id);
    logger.info({ event: 'auth.credential.revoked', credentialId: id, by: staffIdOf(actor) }, 'passkey revoked');
    ok(res, { credential });
  });
  router.get('/api/admin/terminals', signedIn, async (_req, res) => {
    ok(res, { counters: await counters.listCounters(principalOf(res)) });
  });
  router.post('/api/admin/terminals', limitInvite, signedIn, async (req, res) => {
    const body = parse(authSchemas.registerCounter, req.body);
    const actor = principalOf(res);
    const registered = await counters.registerCounter(actor, body);
    logger.info({ event: 'auth.counter.registered', counterId: body.counterId, by: staffIdOf(actor) }, 'counter registered');
    ok(res, registered, 201);
  });
  router.post('/api/admin/terminals/:id/revoke', signedIn, async (req, res) => {
    const { id } = parse(authSchemas.idParam, req.params);
    const actor = principalOf(res);
    const counter = await counters.revokeCounter(actor, id);
    logger.info({ event: 'auth.counter.revoked', counterId: id, by: staffIdOf(actor) }, 'counter revoked');
    ok(res, { counter });
  });

  // Unknown /api/auth/* paths answer in JSON. (/api/admin/* is shared with other routers: no catch-all.)
  router.use('/api/auth', (_req: Request, res: Response) => {
    respondWithError(res, new AppError('NOT_FOUND', '接口不存在 (no such endpoint)', 404));
  });
  router.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const e = httpErrorOf(error);
    if (e.code === 'INTERNAL') logger.error({ err: { message: error instanceof Error ? error.message : String(error) } }, 'auth route failed');
    respondWithError(res, e);
  });
  return router;
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw new AppError('VALIDATION_FAILED', '请求参数不正确 (invalid request)', 400, {
    issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  });
}

function staffIdOf(p: Principal): string | undefined {
  return p.kind === 'staff' ? p.staffId : undefined;
}
