import { documentTypesOf } from '../cases/documentTypesOf.js';
import express, { type Express, type NextFunction, type Request, type Response, type Router } from 'express';
import type { WorkerPool, SessionRegistry } from '@rvw/sfu';
import type { AuthModule } from '../auth/AuthModule.js';
import { authorizeCatalogChange, can } from '../auth/policy.js';
import type { BlobStore } from '../blobs/BlobStore.js';
import type { CaseService } from '../cases/CaseService.js';
import type { CatalogStore } from '../catalog/CatalogStore.js';
import { createCatalogRouter } from '../catalog/createCatalogRouter.js';
import type { Config } from '../config.js';
import { httpErrorOf } from '../http/httpErrorOf.js';
import { ensureMetricsToken, requireMetricsToken } from '../http/metricsAccess.js';
import { requireSameOrigin, securityHeaders } from '../http/security.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/Metrics.js';
import type { RedisClient } from '../store/redisClient.js';
import type { Hub } from '../ws/Hub.js';
import { createCaseFilesRouter, type CaseFilesRouterDeps } from './createCaseFilesRouter.js';
import { createClerkRouter } from './createClerkRouter.js';
import { createCounterRouter } from './createCounterRouter.js';

/** Options for {@link createHttpApp}. */
export interface HttpAppOptions {
  config: Readonly<Config>;
  logger: Logger;
  clock: () => Date;
  enforceServiceHours: boolean;
  redis: RedisClient;
  metrics: Metrics;
  auth: AuthModule;
  catalog: CatalogStore;
  cases: Pick<CaseService, 'getCase'>;
  blobs: Pick<BlobStore, 'get'>;
  /** Gauges for /metrics and /healthz. */
  pool: Pick<WorkerPool, 'workers'>;
  registry: Pick<SessionRegistry, 'size'>;
  hub: Pick<Hub, 'size'>;
  previewDocument: CaseFilesRouterDeps['previewDocument'];
  /** The document routes (verify, print), mounted after the case files. */
  documentRouters: Router[];
  /** A case's evidence bundle (`GET /api/cases/:caseId/evidence`). */
  evidenceRouter?: Router;
  /** A case's recordings, listed and played (`GET /api/cases/:caseId/recordings[/:sha256]`). */
  recordingRouter?: Router;
  /** Service statistics for administrators (`/api/admin/stats…`). */
  statsRouter?: Router;
  /** The case archive for administrators (`/api/admin/cases…`). */
  archiveRouter?: Router;
  /** Files for the other nodes of the cluster (`/internal/files/…`, signed requests only). */
  nodeFilesRouter?: Router;
  /** The pages (see webAssets), mounted last before the 404. */
  webAssets: Router;
  /** Origins of this region's other nodes (the pages' CSP lets sockets move there). */
  siblingOrigins?: () => readonly string[];
}

/** The HTTP API and pages of a node, behind the security headers and the same-origin check. */
export async function createHttpApp(opts: HttpAppOptions): Promise<Express> {
  const { config, logger, redis, metrics, auth, catalog, cases } = opts;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(securityHeaders({ publicOrigin: config.http.publicOrigin, allowedOrigins: config.http.allowedOrigins, idCardReaderUrl: config.idCardReaderUrl, ...(opts.siblingOrigins ? { siblingOrigins: opts.siblingOrigins } : {}) }));
  // CSRF: every POST/PUT/DELETE proves it comes from our pages (POST /verify only reads a PDF).
  app.use(requireSameOrigin({ allowedOrigins: config.http.allowedOrigins, exempt: ['/verify'] }));
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true, data: { redis: redis.isReady, workers: opts.pool.workers.length } });
  });
  if (opts.nodeFilesRouter) app.use(opts.nodeFilesRouter);
  const metricsAccess = await ensureMetricsToken(config.metricsToken, config.dataDir);
  app.get('/metrics', requireMetricsToken(metricsAccess.token), async (_req, res) => {
    metrics.wsConnections.set(opts.hub.size);
    metrics.mediaSessions.set(opts.registry.size);
    metrics.sfuWorkers.set(opts.pool.workers.length);
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use(auth.router());
  app.use(
    createCatalogRouter({
      catalog,
      log: logger,
      authorizeAdmin: async (req, regionCodes) => authorizeCatalogChange(await auth.resolvePrincipal(req), regionCodes),
      adminSees: async (req) => {
        const principal = await auth.resolvePrincipal(req);
        return (regionCode) => can(principal, 'counter.list', { regionCode });
      },
    }),
  );
  app.use(
    createCounterRouter({
      catalog,
      resolvePrincipal: auth.resolvePrincipal,
      clock: opts.clock,
      enforceServiceHours: opts.enforceServiceHours,
      idCardReaderUrl: opts.config.idCardReaderUrl,
      ...(opts.config.recording.enabled ? { recording: { retentionDays: opts.config.recording.retentionDays } } : {}),
    }),
  );
  app.use(createClerkRouter({ resolvePrincipal: auth.resolvePrincipal, redis, getCases: (ids) => Promise.all(ids.map((id) => cases.getCase(id).catch(() => undefined))) }));
  app.use(
    createCaseFilesRouter({
      resolvePrincipal: auth.resolvePrincipal,
      getCase: (caseId) => cases.getCase(caseId),
      readBlob: (sha256) => opts.blobs.get(sha256),
      documentTypes: async (record) => documentTypesOf(await catalog.require('item', record.itemCode), record),
      previewDocument: opts.previewDocument,
      log: logger,
    }),
  );
  if (opts.evidenceRouter) app.use(opts.evidenceRouter);
  if (opts.recordingRouter) app.use(opts.recordingRouter);
  if (opts.statsRouter) app.use(opts.statsRouter);
  if (opts.archiveRouter) app.use(opts.archiveRouter);
  for (const router of opts.documentRouters) app.use(router);
  app.use(opts.webAssets);
  app.use((req: Request, res: Response) => {
    res.status(404).json({ ok: false, error: { code: 'NOT_FOUND', message: `未找到 ${req.method} ${req.path}` } });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = httpErrorOf(err);
    if (e.code === 'INTERNAL') logger.error({ err }, 'http request failed');
    res.status(e.httpStatus).json({ ok: false, error: e.toWire() });
  });
  return app;
}
