import http from 'node:http';
import https from 'node:https';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import {
  DocumentService,
  DocumentStore,
  FontCache,
  HttpTimestamper,
  PrintTokens,
  SignerRegistry,
  createPrintRouter,
  createVerifyRouter,
  decodePem,
  verifyPdf,
  type IssuedDocument,
  type PrintEvent,
} from '@rvw/documents';
import { SessionRegistry, WorkerPool } from '@rvw/sfu';
import { buildWebClient, PUBLIC_DIR } from '@rvw/web-client/build';
import { buildAuthAssets } from '@rvw/web-client/auth/buildAuthAssets';
import { AuthModule } from '../auth/AuthModule.js';
import { authorize, can } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { BlobStore } from '../blobs/BlobStore.js';
import { CallService } from '../calls/CallService.js';
import { CaseService } from '../cases/CaseService.js';
import { CatalogStore } from '../catalog/CatalogStore.js';
import { createCatalogRouter } from '../catalog/createCatalogRouter.js';
import type { Config } from '../config.js';
import { AppError } from '../errors/AppError.js';
import { httpErrorOf } from '../http/httpErrorOf.js';
import { ensureMetricsToken, requireMetricsToken } from '../http/metricsAccess.js';
import { requireSameOrigin, securityHeaders } from '../http/security.js';
import { buildDocumentInput } from '../issuing/buildDocumentInput.js';
import { DemoPaymentHistory, type PaymentHistorySource } from '../issuing/PaymentHistorySource.js';
import type { Logger } from '../observability/logger.js';
import { Metrics } from '../observability/Metrics.js';
import { EventBus } from '../store/EventBus.js';
import { connectRedis, type RedisClient } from '../store/redisClient.js';
import { caseFacts, caseHandlers } from '../ws/handlers/caseHandlers.js';
import { mediaHandlers } from '../ws/handlers/mediaHandlers.js';
import { Hub } from '../ws/Hub.js';
import { SignalingServer } from '../ws/SignalingServer.js';
import { PrincipalBudgets } from '../ws/PrincipalBudgets.js';
import { hashToken } from '../auth/hashToken.js';
import { parseCookies } from '../auth/parseCookies.js';
import { RedisRateLimitStore } from '../auth/RedisRateLimitStore.js';
import { createCaseFilesRouter } from './createCaseFilesRouter.js';
import type { Connection } from '../ws/Connection.js';
import { ClerkPresence, PRESENCE_TTL_SECONDS } from '../queue/ClerkPresence.js';
import { createCounterRouter } from './createCounterRouter.js';
import { turnCredentials } from './turnCredentials.js';

/** Case states after which the case's media session must not live on. */
const CLOSED_STATES: ReadonlySet<string> = new Set(['completed', 'rejected', 'abandoned']);

/** Options for {@link RegionalNode.create}. */
export interface RegionalNodeOptions {
  config: Readonly<Config>;
  /** Redis URL (the caller runs redis-server; see infra/redis/RedisServer). */
  redisUrl: string;
  logger: Logger;
  /** A worker pool to share (tests); one is created from config.sfu when omitted. */
  pool?: WorkerPool;
  /** Refuse cases outside partnership service hours (default true). */
  enforceServiceHours?: boolean;
  clock?: () => Date;
  /** The social-insurance records interface (demo stand-in by default). */
  payments?: PaymentHistorySource;
  /** Directory for the web bundles (tests use a temp dir). */
  webOutDir?: string;
}

/**
 * One regional node: HTTP API, pages, WebSocket signaling, the SFU and the document service
 * over one Redis. The composition root: every part is built here and handed its dependencies;
 * nothing below reads globals.
 */
export class RegionalNode {
  private constructor(
    /** The HTTP(S) server (listening). */
    readonly server: http.Server,
    /** Base URL, e.g. http://localhost:8080 */
    readonly url: string,
    readonly redis: RedisClient,
    readonly catalog: CatalogStore,
    readonly cases: CaseService,
    readonly auth: AuthModule,
    readonly documents: DocumentService,
    readonly documentStore: DocumentStore,
    readonly registry: SessionRegistry,
    /** The mediasoup workers. */
    readonly pool: WorkerPool,
    readonly calls: CallService,
    readonly hub: Hub,
    readonly signaling: SignalingServer,
    readonly metrics: Metrics,
    private readonly closers: (() => Promise<void> | void)[],
    private readonly pkiDir: string,
  ) {}

  /** Builds and starts a node; resolves once it listens. */
  static async create(opts: RegionalNodeOptions): Promise<RegionalNode> {
    const { config, logger } = opts;
    const clock = opts.clock ?? (() => new Date());
    const closers: (() => Promise<void> | void)[] = [];
    const redis = await connectRedis(opts.redisUrl);
    closers.push(() => redis.quit().then(() => undefined, () => undefined));
    const metrics = new Metrics();

    const catalog = await CatalogStore.create({ redis });
    const blobs = await BlobStore.create({ dataDir: config.dataDir });
    const bus = await EventBus.create({ redis, logger });
    closers.push(() => bus.close());
    const cases = await CaseService.create({ redis, catalog, blobs, publish: bus.publish, clock, enforceServiceHours: opts.enforceServiceHours ?? true, log: logger, budgets: config.budgets });
    const auth = await AuthModule.create({
      redis,
      config,
      logger,
      getHall: async (id) => {
        const hall = await catalog.get('hall', id);
        return hall ? { id: hall.id, regionCode: hall.regionCode, name: hall.name } : undefined;
      },
      nameOf: async (kind, code) => (await catalog.get(kind, code))?.name,
    });
    closers.push(() => auth.close());

    // Documents: per-region signers from the PKI directory, one font parse per process.
    const signers = await SignerRegistry.load({ pkiDir: config.pkiDir });
    const documentStore = new DocumentStore(redis, config.dataDir);
    const documents = await DocumentService.create({
      fontCache: await FontCache.load(),
      signers,
      store: documentStore,
      publicOrigin: config.http.publicOrigin,
      clock,
      ...(config.tsaUrl ? { timestamper: new HttpTimestamper(config.tsaUrl) } : {}),
    });
    const trustAnchors = decodePem(await readFile(path.join(config.pkiDir, 'ca.pem'), 'utf8'));
    const printTokens = new PrintTokens(redis);
    const payments = opts.payments ?? new DemoPaymentHistory();

    // Media.
    const pool = opts.pool ?? (await WorkerPool.create({ numWorkers: config.sfu.numWorkers }));
    if (!opts.pool) closers.push(() => pool.close());
    pool.on('workerdied', () => metrics.sfuWorkerDeaths.inc());
    const registry = new SessionRegistry(pool, {
      listenIp: config.rtc.listenIp,
      announcedAddress: config.rtc.announcedAddress,
      minPort: config.rtc.minPort,
      maxPort: config.rtc.maxPort,
      maxIncomingBitrate: 6_000_000,
      limits: {
        transportsPerPeer: config.budgets.transportsPerPeer,
        producersPerPeer: config.budgets.producersPerPeer,
        transportsPerSession: config.budgets.transportsPerSession,
      },
    });
    closers.unshift(() => registry.closeAll());
    const hub = new Hub((conn, event) => can(conn.principal, 'queue.read', { queue: { servingRegion: event.servingRegion, itemCode: event.itemCode } }));
    const calls = new CallService({
      registry,
      hub,
      peerGraceMs: config.peerGraceMs,
      transportsPerPrincipal: config.budgets.transportsPerPrincipal,
      logger,
      iceServers: (p) => turnCredentials(config.rtc, p, clock),
      authorizeJoin: async (principal, sessionId) => {
        const record = await cases.getCase(sessionId);
        authorize(principal, 'session.join', { case: caseFacts(record) });
        // The counter may connect while its case waits (its tracks paused, nobody can consume them
        // before a clerk accepts), so accepting only has to resume them; clerks join once they hold it.
        const open = principal.kind === 'counter' ? ['queued', 'in_session', 'pending_materials', 'suspended'] : ['in_session', 'pending_materials', 'suspended'];
        if (!open.includes(record.state)) {
          throw new AppError('SESSION_NOT_ACTIVE', `办件当前状态为 ${record.state}，不能进入视频通话`, 409);
        }
        return principal.kind === 'counter' ? 'counter' : 'clerk';
      },
      authorizeDesk: (principal) => {
        authorize(principal, 'desk.join', {});
        return principal.kind === 'staff' ? principal.staffId : '';
      },
    });
    closers.unshift(() => calls.close());
    bus.onEvent((event) => {
      if (event.type === 'queue.changed') hub.deliver(event);
      else {
        hub.deliver({ type: 'case.changed', caseId: event.caseId, version: event.version, state: event.state });
        // A closed case ends its call on whichever node hosts it: nothing of the applicant keeps
        // streaming (and no clerk audio keeps playing at the counter) once the case is done.
        if (CLOSED_STATES.has(event.state) && registry.get(event.caseId)) calls.end(event.caseId, 'case_closed');
      }
    });

    const onPrintEvent = async (event: PrintEvent) => {
      await cases.recordPrint(event).catch((err: Error) => logger.warn({ err: err.message, number: event.number }, 'print event not recorded'));
    };
    const handlers = {
      ...mediaHandlers(calls),
      ...caseHandlers({
        cases,
        catalog,
        calls,
        hub,
        issueDocument: async (principal, record, docType, accept) => {
          const input = await buildDocumentInput({ catalog, payments, clock }, principal, record, docType);
          const refOf = (d: IssuedDocument) => ({ number: d.number, type: docType, sha256: d.sha256, signer: d.signer, title: d.record.title, sample: d.record.sample });
          // Reserved until the case took it (record entry + audit event), then published.
          const issued = await documents.issue(input, { accept: (d) => accept(refOf(d)) });
          metrics.documentsIssued.inc({ type: docType });
          return refOf(issued);
        },
      }),
    };

    // Who serves which item now, for the counters' wait estimates: a clerk whose page watches the
    // queue is present (refreshed here, on whichever node holds the socket) until it goes.
    const presence = new ClerkPresence(redis, clock);
    const asClerk = (p: Principal) => (p.kind === 'staff' && p.role === 'clerk' ? p : undefined);
    const watchQueues = handlers['queue.subscribe'];
    handlers['queue.subscribe'] = async (conn, request) => {
      const answer = await watchQueues(conn, request);
      const clerk = asClerk(conn.principal);
      if (clerk) await presence.online(clerk).catch((err: Error) => logger.warn({ err: err.message }, 'presence not recorded'));
      return answer;
    };
    const presenceTimer = setInterval(() => {
      for (const conn of hub.queueWatchers()) {
        const clerk = asClerk(conn.principal);
        if (clerk) void presence.online(clerk).catch(() => undefined);
      }
    }, (PRESENCE_TTL_SECONDS * 1000) / 3);
    presenceTimer.unref();
    closers.unshift(() => clearInterval(presenceTimer));
    const leftQueues = (conn: Connection) => {
      const clerk = asClerk(conn.principal);
      if (!clerk || !conn.queueSubscribed || hub.byStaff(clerk.staffId).some((c) => c.queueSubscribed)) return;
      void presence.offline(clerk).catch(() => undefined);
    };

    // HTTP.
    const app = express();
    app.disable('x-powered-by');
    app.set('trust proxy', false);
    app.use(securityHeaders({ publicOrigin: config.http.publicOrigin, allowedOrigins: config.http.allowedOrigins }));
    // CSRF: every POST/PUT/DELETE proves it comes from our pages (POST /verify only reads a PDF).
    app.use(requireSameOrigin({ allowedOrigins: config.http.allowedOrigins, exempt: ['/verify'] }));
    app.get('/healthz', (_req, res) => {
      res.json({ ok: true, data: { redis: redis.isReady, workers: pool.workers.length } });
    });
    const metricsAccess = await ensureMetricsToken(config.metricsToken, config.dataDir);
    app.get('/metrics', requireMetricsToken(metricsAccess.token), async (_req, res) => {
      metrics.wsConnections.set(hub.size);
      metrics.mediaSessions.set(registry.size);
      metrics.sfuWorkers.set(pool.workers.length);
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
    app.use(auth.router());
    app.use(
      createCatalogRouter({
        catalog,
        log: logger,
        authorizeAdmin: async (req, regionCodes) => {
          const principal = await auth.resolvePrincipal(req);
          if (regionCodes.length <= 1) {
            if (principal.kind !== 'staff' || principal.role !== 'admin') authorize(principal, 'catalog.write', { regionCode: regionCodes[0] ?? '' });
            else if (regionCodes[0]) authorize(principal, 'catalog.write', { regionCode: regionCodes[0] });
          } else authorize(principal, 'partnership.write', { regionCodes });
        },
        adminSees: async (req) => {
          const principal = await auth.resolvePrincipal(req);
          return (regionCode) => can(principal, 'counter.list', { regionCode });
        },
      }),
    );
    app.use(createCounterRouter({ catalog, resolvePrincipal: auth.resolvePrincipal, clock, enforceServiceHours: opts.enforceServiceHours ?? true }));
    app.use(
      createCaseFilesRouter({
        resolvePrincipal: auth.resolvePrincipal,
        getCase: (caseId) => cases.getCase(caseId),
        readBlob: (sha256) => blobs.get(sha256),
        documentTypes: async (record) => (await catalog.require('item', record.itemCode)).issuedDocuments,
        previewDocument: async (principal, record, docType) => documents.preview(await buildDocumentInput({ catalog, payments, clock }, principal, record, docType)),
        log: logger,
      }),
    );
    app.use(
      createVerifyRouter({
        store: documentStore,
        verify: (bytes) => verifyPdf(bytes, { trustAnchors, store: documentStore }),
        // Per IP across every node sharing the Redis, so adding nodes does not multiply the budget.
        rateLimit: { windowMs: 60_000, limit: 30, store: new RedisRateLimitStore(redis, 'verify:') },
      }),
    );
    const principalOfCase = async (req: Request, caseId: string, action: 'case.read' | 'document.issue') => {
      const principal = await auth.resolvePrincipal(req);
      const record = await cases.getCase(caseId);
      authorize(principal, action, { case: caseFacts(record) });
      return principal;
    };
    app.use(
      createPrintRouter({
        store: documentStore,
        printTokens,
        onPrintEvent,
        clock,
        authorizeCounter: async (req, doc) => {
          const p = await principalOfCase(req, doc.caseId, 'case.read');
          if (p.kind !== 'counter') throw new AppError('FORBIDDEN', '只有申请地窗口终端可以打印', 403);
          return p;
        },
        authorizeClerk: async (req, doc) => {
          const p = await principalOfCase(req, doc.caseId, 'document.issue');
          if (p.kind !== 'staff' || p.role !== 'clerk') throw new AppError('FORBIDDEN', '只有出具文书的工作人员可以批准重新打印', 403);
          return p;
        },
      }),
    );
    const webOut = await buildWebClient(opts.webOutDir ? { outDir: opts.webOutDir } : {});
    await buildAuthAssets({ outDir: webOut });
    app.use('/dist', express.static(webOut, { fallthrough: false }));
    app.use('/auth', express.static(path.join(webOut, 'auth'), { fallthrough: false }));
    app.get('/', (_req, res) => res.redirect('/login.html'));
    // No icon: answer browsers' automatic request without a 404 in every console.
    app.get('/favicon.ico', (_req, res) => res.status(204).end());
    app.use(express.static(PUBLIC_DIR, { extensions: ['html'] }));
    app.use((req: Request, res: Response) => {
      res.status(404).json({ ok: false, error: { code: 'NOT_FOUND', message: `未找到 ${req.method} ${req.path}` } });
    });
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      const e = httpErrorOf(err);
      if (e.code === 'INTERNAL') logger.error({ err }, 'http request failed');
      res.status(e.httpStatus).json({ ok: false, error: e.toWire() });
    });

    const server = config.http.tls
      ? https.createServer({ cert: await readFile(config.http.tls.certFile), key: await readFile(config.http.tls.keyFile) }, app)
      : http.createServer(app);
    const signaling = SignalingServer.attach({
      httpServer: server,
      authenticate: auth.authenticateUpgrade,
      hub,
      handlers,
      logger,
      onClose: (conn) => {
        calls.onConnectionClosed(conn);
        leftQueues(conn);
      },
      onRequest: (type, ok, ms) => metrics.observeRequest(type, ok, ms),
      budgets: new PrincipalBudgets(config.budgets),
      onBudgetRefused: (budget) => metrics.budgetRefusals.inc({ budget }),
      sessionKeyOf: (req) => {
        const sid = parseCookies(req.headers.cookie).get(auth.cookies.session);
        return sid ? hashToken(sid) : undefined;
      },
    });
    auth.onPrincipalRevoked((event) => {
      const conns = event.kind === 'staff' ? hub.byStaff(event.staffId) : event.kind === 'counter' ? hub.byCounter(event.counterId) : hub.bySessionKey(event.sessionKey);
      for (const c of conns) {
        c.send({ type: 'auth.revoked', reason: event.reason });
        c.socket.close(4003, 'revoked');
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.http.port, config.http.host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const publicUrl = new URL(config.http.publicOrigin);
    const url = `${publicUrl.protocol}//${publicUrl.hostname}:${port}`;
    logger.info({ url, workers: pool.workers.length }, 'regional node listening');
    return new RegionalNode(server, url, redis, catalog, cases, auth, documents, documentStore, registry, pool, calls, hub, signaling, metrics, closers, config.pkiDir);
  }

  /** Where this node's signing keys and CA live (tests verify signatures against it). */
  get configPkiDir(): string {
    return this.pkiDir;
  }

  /** Stops accepting, closes sockets, media, and connections; idempotent. */
  async close(): Promise<void> {
    const closers = this.closers.splice(0);
    if (!closers.length) return;
    this.signaling.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    for (const c of closers) await c();
  }
}
