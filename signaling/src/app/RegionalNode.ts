import type http from 'node:http';
import path from 'node:path';
import type { DocumentService, DocumentStore } from '@rvw/documents';
import type { SessionRegistry, WorkerPool } from '@rvw/sfu';
import type { AuthModule } from '../auth/AuthModule.js';
import type { CallService } from '../calls/CallService.js';
import type { CaseService } from '../cases/CaseService.js';
import type { CatalogStore } from '../catalog/CatalogStore.js';
import type { Config } from '../config.js';
import type { PaymentHistorySource } from '../issuing/PaymentHistorySource.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/Metrics.js';
import type { RedisClient } from '../store/redisClient.js';
import { Hub } from '../ws/Hub.js';
import type { SignalingServer } from '../ws/SignalingServer.js';
import { can } from '../auth/policy.js';
import { wireClerkPresence } from './clerkPresenceWiring.js';
import { Closers } from './Closers.js';
import { createNodeFilesRouter } from '../cluster/createNodeFilesRouter.js';
import { createEvidenceRouter } from '../evidence/createEvidenceRouter.js';
import { CallRecordings } from '../recording/CallRecordings.js';
import { RecorderPool } from '@rvw/sfu/recording/index';
import { RecordingStore } from '../recording/RecordingStore.js';
import { createRecordingRouter } from '../recording/createRecordingRouter.js';
import { ClerkPresence } from '../queue/ClerkPresence.js';
import { createStatsRouter } from '../stats/createStatsRouter.js';
import { archiveNames } from '../archive/archiveNames.js';
import { createArchiveRouter } from '../archive/createArchiveRouter.js';
import { principalBudget } from '../http/principalBudget.js';
import { statsLabels } from '../stats/statsLabels.js';
import { StatsReader } from '../stats/StatsReader.js';
import { sweepRecordings } from '../recording/sweepRecordings.js';
import { archiveBacklog } from '../archive/ArchiveFeeder.js';
import { wireArchive, type NodeArchive } from './archiveWiring.js';
import { createCoreServices } from './coreServices.js';
import { createDocumentWiring } from './documentWiring.js';
import { createHttpApp } from './httpApp.js';
import { createHttpServer, listen } from './httpServer.js';
import type { ClusterWiring } from './clusterWiring.js';
import { createMediaWiring } from './mediaWiring.js';
import { wireNotifications } from './notificationWiring.js';
import { createSocketEdge } from './socketEdge.js';
import { createWebAssets } from './webAssets.js';

/** Options for {@link RegionalNode.create}. */
export interface RegionalNodeOptions {
  config: Readonly<Config>;
  /** Redis URL (the caller runs redis-server; see infra/redis/RedisServer); not needed when config.redisSentinel is set. */
  redisUrl?: string;
  logger: Logger;
  /** A worker pool to share (tests); one is created from config.sfu when omitted. */
  pool?: WorkerPool;
  /** Refuse cases outside partnership service hours (default true). */
  enforceServiceHours?: boolean;
  clock?: () => Date;
  /** The social-insurance records interface (demo stand-in by default). */
  payments?: PaymentHistorySource;
  /** The built pages to serve (default config.webRoot; tests pass the run's fresh build). */
  webRoot?: string;
}

/**
 * One regional node: HTTP API, pages, WebSocket signaling, the SFU and the document service
 * over one Redis. The composition root: it assembles the parts built by the modules beside it
 * (core services, documents, media, notifications, presence, HTTP app, socket edge), handing
 * each its dependencies; nothing below reads globals.
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
    private readonly closers: Closers,
    private readonly pkiDir: string,
    /** This node in its cluster: id, node registry, node bus, calls joined across nodes. */
    readonly cluster: ClusterWiring,
    /** The segments this node recorded (or fetched from the node that did). */
    readonly recordings: RecordingStore,
    /** The case archive this node feeds and moves finished cases to; undefined without RVW_ARCHIVE_URL. */
    readonly archive: NodeArchive | undefined,
  ) {}

  /** Builds and starts a node; resolves once it listens. */
  static async create(opts: RegionalNodeOptions): Promise<RegionalNode> {
    const { config, logger } = opts;
    const clock = opts.clock ?? (() => new Date());
    const enforceServiceHours = opts.enforceServiceHours ?? true;
    const closers = new Closers();

    // Known once the server listens (a test node's port is chosen then); files are stored after that.
    const listening: { url?: string } = {};
    const internalOrigin = () => config.cluster.internalOrigin ?? listening.url ?? config.http.publicOrigin;
    const core = await createCoreServices({ config, redisUrl: opts.redisUrl, logger, clock, enforceServiceHours, closers, internalOrigin });
    const { redis, metrics, catalog, cases, auth } = core;
    const docs = await createDocumentWiring({
      config,
      redis,
      catalog,
      cases,
      metrics,
      logger,
      clock,
      resolvePrincipal: auth.resolvePrincipal,
      notifications: core.notifications,
      files: core.files,
      ...(opts.payments ? { payments: opts.payments } : {}),
    });
    const hub = new Hub({ mayReceive: (conn, grant) => (grant.action === 'queue.read' ? can(conn.principal, 'queue.read', { queue: grant.queue }) : can(conn.principal, 'chat.read', { case: grant.case })) });
    const media = await createMediaWiring({ config, logger, clock, metrics, cases, hub, redis, closers, ...(opts.pool ? { pool: opts.pool } : {}) });
    wireNotifications({ bus: core.bus, hub, registry: media.registry, calls: media.calls });
    const recordings = new RecordingStore({ dataDir: config.dataDir, redis, ...(core.files ? { remote: core.files } : {}) });
    if (config.recording.enabled) {
      const pool = new RecorderPool({ dir: recordings.liveDir, logger });
      closers.add(() => pool.close());
      const callRecordings = new CallRecordings({
        nodeId: media.cluster.nodeId,
        registry: media.registry,
        calls: media.calls,
        cases,
        store: recordings,
        logger,
        pool,
        onSegment: () => metrics.recordingSegments.inc(),
        onFailure: () => metrics.recordingFailures.inc(),
        onNoConsent: () => metrics.recordingNoConsent.inc(),
      });
      metrics.countRecordingsWith(() => ({ active: callRecordings.active, warm: pool.ready, processes: callRecordings.processes }));
      // Retention: segment files older than RVW_RECORDING_RETENTION_DAYS go (their hashes stay in the chain).
      const sweep = () =>
        void sweepRecordings({ store: recordings, cases, nodeId: media.cluster.nodeId, retentionDays: config.recording.retentionDays, logger }).catch((e: Error) =>
          logger.error({ err: e.message }, 'recording retention sweep failed'),
        );
      sweep();
      const sweeper = setInterval(sweep, 3_600_000);
      sweeper.unref();
      closers.add(() => clearInterval(sweeper));
    }
    const presence = wireClerkPresence({ redis, clock, hub, logger, closers });
    // Read on every node, archive or not: an outbox left from an archive since switched off grows here.
    metrics.countArchiveBacklogWith(() => archiveBacklog(redis));
    const archive = core.archive
      ? await wireArchive({ config, archive: core.archive, redis, store: cases.store, nodeId: media.cluster.nodeId, clock, metrics, logger, closers })
      : undefined;

    // One administrator's statistics and archive requests, and exports, counted on every node together.
    const budget = (name: string, limit: number, windowMs: number, message: string) =>
      principalBudget({ name, limit, windowMs, message, resolvePrincipal: auth.resolvePrincipal, redis, onRefused: (b) => metrics.budgetRefusals.inc({ budget: b }) });
    const adminQueries = budget('adminQueriesPerMinute', config.budgets.adminQueriesPerMinute, 60_000, '查询过于频繁，请稍等一分钟再试 (statistics/archive request budget)');
    const adminExports = budget('adminExportsPerHour', config.budgets.adminExportsPerHour, 3_600_000, '本小时导出次数已达上限，请稍后再导出 (export budget)');
    const app = await createHttpApp({
      config,
      logger,
      clock,
      enforceServiceHours,
      redis,
      metrics,
      auth,
      catalog,
      cases,
      blobs: core.blobs,
      pool: media.pool,
      registry: media.registry,
      hub,
      previewDocument: docs.previewDocument,
      documentRouters: docs.routers,
      statsRouter: createStatsRouter({
        resolvePrincipal: auth.resolvePrincipal,
        reader: new StatsReader({
          redis,
          clock,
          labels: statsLabels(catalog, auth.staff),
          getCases: (ids) => cases.store.getMany(ids),
          clerksPresent: (pairs) => new ClerkPresence(redis, clock).snapshot(pairs),
        }),
        partnerships: () => catalog.list('partnership'),
        itemName: async (code) => (await catalog.get('item', code))?.name ?? code,
        followUp: (principal, caseId, input) => cases.followUpPoorRating(principal, caseId, input),
        log: logger,
        budgets: { queries: adminQueries, exports: adminExports },
      }),
      archiveRouter: createArchiveRouter({
        resolvePrincipal: auth.resolvePrincipal,
        archive: core.archive,
        partnerships: () => catalog.list('partnership'),
        halls: () => catalog.list('hall'),
        staff: () => auth.staff.listStaff(),
        history: (caseId) => cases.history(caseId),
        recordMaterialView: (principal, caseId, index) => cases.recordMaterialView(principal, caseId, index),
        recordChatView: (principal, caseId) => cases.recordChatView(principal, caseId),
        readBlob: (sha256) => core.blobs.get(sha256),
        names: archiveNames(catalog, auth.staff),
        documentHandle: async (number) => (await docs.documentStore.get(number))?.handle,
        log: logger,
        budget: adminQueries,
      }),
      recordingRouter: createRecordingRouter({ resolvePrincipal: auth.resolvePrincipal, cases, recordings, redis, log: logger }),
      evidenceRouter: createEvidenceRouter({
        resolvePrincipal: auth.resolvePrincipal,
        cases,
        readBlob: (sha256) => core.blobs.get(sha256),
        readPdf: (doc) => docs.documentStore.readPdf(doc),
        // Segments are kept on the node that recorded them (the serving region's): exported there.
        recordings: async (caseId) => {
          const present = [];
          // A segment recorded by another node (of this region, say) is fetched from it first; one
          // that no node holds any more was deleted after its retention (recording.expired says so).
          for (const r of await recordings.list(caseId)) if (await recordings.ensureLocal(r)) present.push(r);
          return present.map((r) => ({ sha256: r.sha256, open: () => Promise.resolve(recordings.readStream(r.sha256)) }));
        },
        signerFor: (regionCode) => docs.signers.get(regionCode),
        stagingDir: path.join(config.dataDir, 'tmp'),
        clock,
        log: logger,
      }),
      ...(core.files && config.cluster.secret
        ? {
            nodeFilesRouter: createNodeFilesRouter({
              secret: config.cluster.secret,
              redis,
              logger,
              readLocal: (kind, sha256) => (kind === 'blob' ? core.blobs.getLocal(sha256) : kind === 'document' ? docs.documentStore.readLocal(sha256) : Promise.resolve(undefined)),
              localFile: async (kind, sha256) => (kind === 'recording' && (await recordings.has(sha256)) ? recordings.pathOf(sha256) : undefined),
            }),
          }
        : {}),
      webAssets: createWebAssets({ webRoot: opts.webRoot ?? config.webRoot }),
      siblingOrigins: media.cluster.siblingOrigins,
    });
    const server = await createHttpServer(config.http, app);
    const signaling = createSocketEdge({ httpServer: server, config, logger, metrics, auth, hub, notifications: core.notifications, cases, catalog, calls: media.calls, presence, issueDocument: docs.issueDocument, cluster: media.cluster });
    const url = await listen(server, config.http);
    listening.url = url;
    logger.info({ url, workers: media.pool.workers.length }, 'regional node listening');
    return new RegionalNode(server, url, redis, catalog, cases, auth, docs.documents, docs.documentStore, media.registry, media.pool, media.calls, hub, signaling, metrics, closers, config.pkiDir, media.cluster, recordings, archive);
  }

  /** Where this node's signing keys and CA live (tests verify signatures against it). */
  get configPkiDir(): string {
    return this.pkiDir;
  }

  /** Stops accepting, closes sockets, media, and connections; idempotent. */
  async close(): Promise<void> {
    if (!this.closers.open) return;
    this.signaling.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await this.closers.runAll();
  }
}
