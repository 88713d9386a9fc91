import type { Router } from 'express';
import type { Config } from '../config.js';
import type { Logger } from '../observability/logger.js';
import type { RedisClient } from '../store/redisClient.js';
import { authCookies, type AuthCookies } from './authCookies.js';
import { defaultAuthTimeouts, type AuthTimeouts } from './authTimeouts.js';
import { ChallengeStore } from './ChallengeStore.js';
import { systemClock, type Clock } from './Clock.js';
import { CounterRegistry, type GetHall } from './CounterRegistry.js';
import { createAuthRouter, type AuthRateLimits } from './createAuthRouter.js';
import { createPrincipalResolver, type ResolvePrincipal } from './createPrincipalResolver.js';
import { createUpgradeAuthenticator, type AuthenticateUpgrade } from './createUpgradeAuthenticator.js';
import { InviteService, type IssuedInvite } from './InviteService.js';
import { PasskeyService } from './PasskeyService.js';
import type { NameOf } from './createAuthRouter.js';
import { RedisRateLimitStore } from './RedisRateLimitStore.js';
import { RevocationBus, type RevocationListener } from './RevocationBus.js';
import { SessionStore } from './SessionStore.js';
import { StaffAdmin } from './StaffAdmin.js';
import { StaffStore } from './StaffStore.js';

/** Options of {@link AuthModule.create}. */
export interface AuthModuleOptions {
  redis: RedisClient;
  config: Readonly<Config>;
  logger: Logger;
  /** Hall lookup from the catalogue (hall → region) for counter registration. */
  getHall: GetHall;
  /** Catalogue names of regions and items, so an invitee reads 六安市霍邱县, not 341522. */
  nameOf?: NameOf;
  clock?: Clock;
  timeouts?: Partial<AuthTimeouts>;
  rateLimits?: Partial<AuthRateLimits>;
  /** Listen on `auth:revoked` for other nodes' revocations (default true). */
  subscribeRevocations?: boolean;
}

/**
 * The auth module wired together: staff, passkeys, invites, sessions, counters, revocations,
 * the HTTP router, `resolvePrincipal` and `authenticateUpgrade`. The composition root for main.ts.
 */
export class AuthModule {
  private constructor(
    /** Staff and passkey records. */
    readonly staff: StaffStore,
    /** Invites and the bootstrap invite. */
    readonly invites: InviteService,
    /** Passkey ceremonies. */
    readonly passkeys: PasskeyService,
    /** Staff sessions. */
    readonly sessions: SessionStore,
    /** Counter terminals. */
    readonly counters: CounterRegistry,
    /** Admin operations on staff. */
    readonly staffAdmin: StaffAdmin,
    /** Revocation announcements (local + `auth:revoked`). */
    readonly revocations: RevocationBus,
    /** Cookie names and attributes. */
    readonly cookies: AuthCookies,
    /** Principal of an HTTP or upgrade request, from its cookies. */
    readonly resolvePrincipal: ResolvePrincipal,
    /** Origin + cookie check for WebSocket upgrades. */
    readonly authenticateUpgrade: AuthenticateUpgrade,
    private readonly routerFactory: () => Router,
  ) {}

  /** Builds every part over one Redis client (plus one subscriber connection for revocations). */
  static async create(opts: AuthModuleOptions): Promise<AuthModule> {
    const { redis, config, logger } = opts;
    const clock = opts.clock ?? systemClock;
    const t: AuthTimeouts = { ...defaultAuthTimeouts, ...opts.timeouts };
    const cookies = authCookies(config.http.publicOrigin);
    const staff = await StaffStore.create({ redis });
    const revocations = await RevocationBus.create({ redis, logger, subscribe: opts.subscribeRevocations ?? true });
    const invites = await InviteService.create({ redis, clock, staff, ttlMs: t.inviteMs, publicOrigin: config.http.publicOrigin });
    const challenges = await ChallengeStore.create({ redis, clock, ttlMs: t.challengeMs });
    const sessions = await SessionStore.create({ redis, clock, idleMs: t.sessionIdleMs, absoluteMs: t.sessionAbsoluteMs });
    const counters = await CounterRegistry.create({
      redis,
      clock,
      getHall: opts.getHall,
      revocations,
      publicOrigin: config.http.publicOrigin,
      activationMs: t.activationMs,
      deviceMs: t.deviceMs,
    });
    const passkeys = await PasskeyService.create({ config, clock, staff, invites, challenges, sessions });
    const staffAdmin = await StaffAdmin.create({ staff, sessions, revocations, clock });
    const resolvePrincipal = createPrincipalResolver({ staff, sessions, counters, cookies });
    const authenticateUpgrade = createUpgradeAuthenticator({ allowedOrigins: config.http.allowedOrigins, resolvePrincipal });
    const routerFactory = () =>
      createAuthRouter({
        config,
        passkeys,
        invites,
        staffAdmin,
        counters,
        sessions,
        revocations,
        resolvePrincipal,
        cookies,
        logger,
        ...(opts.nameOf ? { nameOf: opts.nameOf } : {}),
        rateLimitStore: (name) => new RedisRateLimitStore(redis, `${name}:`),
        ...(opts.rateLimits ? { rateLimits: opts.rateLimits } : {}),
      });
    return new AuthModule(staff, invites, passkeys, sessions, counters, staffAdmin, revocations, cookies, resolvePrincipal, authenticateUpgrade, routerFactory);
  }

  /** A new express Router with every auth and admin route (mount once, at `/`). */
  router(): Router {
    return this.routerFactory();
  }

  /** Bootstrap link for the first administrator while none exists (print it once), else undefined. */
  ensureBootstrapInvite(): Promise<IssuedInvite | undefined> {
    return this.invites.ensureBootstrapInvite();
  }

  /** Calls `listener` whenever a staff member or counter loses access (any node); returns an unsubscribe function. */
  onPrincipalRevoked(listener: RevocationListener): () => void {
    return this.revocations.onPrincipalRevoked(listener);
  }

  /** Releases the revocation subscriber connection (the shared Redis client stays open). */
  async close(): Promise<void> {
    await this.revocations.close();
  }
}
