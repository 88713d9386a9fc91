import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * The whole process configuration, parsed once from the environment at start-up and frozen.
 * Nothing else reads `process.env`; tests build a Config with `loadConfig({...})`.
 */
const EnvSchema = z.object({
  RVW_HTTP_HOST: z.string().default('127.0.0.1'),
  RVW_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Origin browsers use to reach us; also the WebAuthn origin. rpID is its hostname. */
  RVW_PUBLIC_ORIGIN: z.string().url().optional(),
  /** Extra allowed Origins for the WebSocket upgrade, comma-separated. */
  RVW_ALLOWED_ORIGINS: z.string().default(''),
  /** Redis URL; when unset the start script runs a private redis-server under the data dir. */
  RVW_REDIS_URL: z.string().optional(),
  /** Sentinel addresses `host:port,…`; set, the node finds its primary through them (docs/redis-sentinel.md). */
  RVW_REDIS_SENTINELS: z
    .string()
    .regex(/^\s*[^\s:,]+:\d{1,5}\s*(,\s*[^\s:,]+:\d{1,5}\s*)*$/, 'host:port,host:port,…')
    .optional(),
  /** The name the sentinels monitor the primary under. */
  RVW_REDIS_SENTINEL_NAME: z.string().default('rvw'),
  /** Password of the data nodes behind the sentinels. */
  RVW_REDIS_PASSWORD: z.string().optional(),
  /** Replicas that must hold a case commit before it is acknowledged (WAIT); default 1 with Sentinel, 0 with a URL. */
  RVW_REDIS_MIN_REPLICAS_ACK: z.coerce.number().int().min(0).max(16).optional(),
  /** How long a case commit waits for those replicas before REDIS_NOT_REPLICATED. */
  RVW_REDIS_ACK_TIMEOUT_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  RVW_DATA_DIR: z.string().default('data'),
  RVW_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** IP mediasoup binds WebRTC sockets to. */
  RVW_RTC_LISTEN_IP: z.string().default('127.0.0.1'),
  /** Address announced in ICE candidates (public IP or hostname behind NAT). */
  RVW_RTC_ANNOUNCED_ADDRESS: z.string().optional(),
  RVW_RTC_MIN_PORT: z.coerce.number().int().min(1024).max(65535).default(40000),
  RVW_RTC_MAX_PORT: z.coerce.number().int().min(1024).max(65535).default(49999),
  /** Number of mediasoup workers; defaults to one per core. */
  RVW_SFU_WORKERS: z.coerce.number().int().min(1).max(64).optional(),
  RVW_TLS_CERT: z.string().optional(),
  RVW_TLS_KEY: z.string().optional(),
  /** TURN servers for counters behind strict networks, comma-separated turn: URLs. */
  RVW_TURN_URLS: z.string().default(''),
  /** Shared secret for coturn's REST-API credentials (use-auth-secret). */
  RVW_TURN_SECRET: z.string().optional(),
  /** Lifetime of the TURN credentials handed out (coturn refuses them after it): 12 h by default. */
  RVW_TURN_TTL_SECONDS: z.coerce.number().int().min(1).max(7 * 24 * 3600).default(12 * 3600),
  /** Directory with per-region signing keys/certificates (PEM); defaults to <data>/pki. */
  RVW_PKI_DIR: z.string().optional(),
  RVW_WEB_ROOT: z.string().optional(),
  /** RFC 3161 timestamp authority URL, optional. */
  RVW_TSA_URL: z.string().url().optional(),
  /**
   * 人证核验: the ID-card reader's local service on each counter terminal (the reader vendor's
   * loopback HTTP service, e.g. http://127.0.0.1:18900/readcard; docs/identity.md). Unset: the
   * counter has no 读取身份证 button and the applicant's details are typed.
   */
  RVW_IDCARD_READER_URL: z.string().url().optional(),
  /** Bearer token the monitoring system scrapes /metrics with; when unset, generated into <data>/metrics-token. */
  RVW_METRICS_TOKEN: z.string().min(24, 'RVW_METRICS_TOKEN must be at least 24 characters').optional(),
  /** Grace period before a vanished peer is removed from a session. */
  RVW_PEER_GRACE_MS: z.coerce.number().int().min(0).default(15_000),
  /** Record every call on the serving region's node (全程录音录像): on in production. */
  RVW_RECORDING: z.enum(['on', 'off']).default('on'),
  /** How long recorded segments are kept (days) before the sweep deletes the files. */
  RVW_RECORDING_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(180),
  /** PostgreSQL URL of the case archive (docs/data-model.md); unset, finished cases stay in Redis and 办件档案 is unavailable. */
  RVW_ARCHIVE_URL: z.string().url().optional(),
  /** Days a finished case stays live in Redis after it closed (rating, reprints) before only the archive holds it; fractions allowed. */
  RVW_ARCHIVE_KEEP_FINISHED_DAYS: z.coerce.number().min(0).max(3650).default(30),
  /** How often a node moves archived finished cases out of Redis. */
  RVW_ARCHIVE_PRUNE_INTERVAL_MS: z.coerce.number().int().min(100).max(86_400_000).default(300_000),
  // Budgets per principal (see Config.budgets): defaults a real hall never reaches.
  RVW_BUDGET_SOCKETS_PER_PRINCIPAL: z.coerce.number().int().min(1).default(16),
  RVW_BUDGET_REQUESTS_PER_SECOND: z.coerce.number().int().min(1).default(100),
  RVW_BUDGET_REQUEST_BURST: z.coerce.number().int().min(1).default(400),
  RVW_BUDGET_TRANSPORTS_PER_PEER: z.coerce.number().int().min(2).default(6),
  RVW_BUDGET_PRODUCERS_PER_PEER: z.coerce.number().int().min(1).default(6),
  RVW_BUDGET_TRANSPORTS_PER_SESSION: z.coerce.number().int().min(2).default(24),
  RVW_BUDGET_TRANSPORTS_PER_PRINCIPAL: z.coerce.number().int().min(2).default(24),
  RVW_BUDGET_CASES_WAITING_PER_COUNTER: z.coerce.number().int().min(1).default(3),
  RVW_BUDGET_MATERIAL_MB_PER_CASE: z.coerce.number().min(1).default(200),
  RVW_BUDGET_MATERIAL_MB_PER_COUNTER_HOUR: z.coerce.number().min(1).default(1000),
  RVW_BUDGET_ADMIN_QUERIES_PER_MINUTE: z.coerce.number().int().min(1).default(240),
  RVW_BUDGET_ADMIN_EXPORTS_PER_HOUR: z.coerce.number().int().min(1).default(60),
  /** This node's id in the cluster registry; a fresh random one per start when unset. */
  RVW_NODE_ID: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'RVW_NODE_ID: letters, digits, . _ - (at most 64)').optional(),
  /** Region codes this node serves, comma-separated; `*` (the default) serves every region. */
  RVW_NODE_REGIONS: z.string().default('*'),
  /** IP the inter-node media pipes bind to (default: RVW_RTC_LISTEN_IP). */
  RVW_PIPE_LISTEN_IP: z.string().optional(),
  /** Address other nodes reach this node's pipes at (default: RVW_RTC_ANNOUNCED_ADDRESS). */
  RVW_PIPE_ANNOUNCED_ADDRESS: z.string().optional(),
  /** Shared secret every node of a cluster signs its node-to-node messages with (HMAC-SHA256). */
  RVW_CLUSTER_SECRET: z.string().min(32, 'RVW_CLUSTER_SECRET must be at least 32 characters').optional(),
  /** Where the other nodes reach this node's HTTP server for files it holds (default: where it listens). */
  RVW_INTERNAL_ORIGIN: z.string().url().optional(),
  /** How often a node renews its registry entry, and how long the entry lives without renewal. */
  RVW_NODE_HEARTBEAT_MS: z.coerce.number().int().min(100).default(2000),
  RVW_NODE_TTL_MS: z.coerce.number().int().min(300).default(6000),
  /**
   * How often the node pings each WebSocket; one that has not answered the previous ping is
   * closed (its peer died without closing TCP: power, a cut line). 0 turns it off.
   */
  RVW_WS_HEARTBEAT_MS: z.coerce.number().int().min(0).default(15_000),
});

/**
 * What one principal (a staff member or a counter terminal) may hold or spend. Each refusal is
 * BUDGET_EXCEEDED (or RATE_LIMITED) with `details.budget` naming the budget, counted in
 * rvw_budget_refusals_total{budget}.
 */
export interface Budgets {
  /** Open WebSocket connections of one principal on one node. */
  socketsPerPrincipal: number;
  /** Sustained signaling requests per second of one principal (all its sockets on a node together). */
  requestsPerSecond: number;
  /** Requests one principal may send at once before the sustained rate applies. */
  requestBurst: number;
  /** WebRTC transports (each holds an RTC port) of one peer. */
  transportsPerPeer: number;
  /** Tracks one peer may send at once. */
  producersPerPeer: number;
  /** RTC ports (transports) one media session (a call or a desk) may hold. */
  transportsPerSession: number;
  /** RTC ports one principal may hold across all its sessions on a node. */
  transportsPerPrincipal: number;
  /** Cases one counter terminal may have waiting in queues at once. */
  casesWaitingPerCounter: number;
  /** Material bytes each side (counter, clerk) of one case may keep. */
  materialBytesPerCase: number;
  /** Material bytes one counter terminal may upload per clock hour. */
  materialBytesPerCounterHour: number;
  /** Statistics and 办件档案 requests (searches, case pages, materials) one administrator may make per minute, on all nodes. */
  adminQueriesPerMinute: number;
  /** Statistics exports (CSV/XLSX) one administrator may take per hour, on all nodes. */
  adminExportsPerHour: number;
}

/** Parsed, typed configuration. */
export interface Config {
  http: { host: string; port: number; publicOrigin: string; allowedOrigins: string[]; tls?: { certFile: string; keyFile: string } };
  /** WebSocket liveness: ping interval (0: off). */
  ws: { heartbeatMs: number };
  /** WebAuthn relying party: id (hostname) and expected origin(s). */
  webauthn: { rpId: string; rpName: string; origins: string[] };
  redisUrl: string | undefined;
  /** Set when RVW_REDIS_SENTINELS is: where the node finds its Redis primary. */
  redisSentinel: { name: string; sentinels: { host: string; port: number }[]; password?: string } | undefined;
  /** Replicas a case commit waits for (WAIT) and for how long (docs/redis-sentinel.md). */
  redisReplicaAck: { replicas: number; timeoutMs: number };
  dataDir: string;
  logLevel: string;
  rtc: { listenIp: string; announcedAddress: string | undefined; minPort: number; maxPort: number; turnUrls: string[]; turnSecret: string | undefined; turnTtlSeconds: number };
  sfu: { numWorkers: number };
  pkiDir: string;
  /** The built pages (`npm run build` → web-client/dist): bundles, auth/ and public/. */
  webRoot: string;
  tsaUrl: string | undefined;
  /** The counter terminals' ID-card reader service (人证核验); undefined: none. */
  idCardReaderUrl: string | undefined;
  peerGraceMs: number;
  /** Server-side recording of calls: on/off and how long segments are kept. */
  recording: { enabled: boolean; retentionDays: number };
  /** The case archive in PostgreSQL: its URL (none: no archive), how long finished cases stay live in Redis, how often they move. */
  archive: { url: string | undefined; keepFinishedMs: number; pruneIntervalMs: number };
  /** Scrape token for /metrics (undefined: generated under the data directory). */
  metricsToken: string | undefined;
  budgets: Budgets;
  /** This node in a cluster of nodes sharing Redis (see docs/cluster.md). */
  cluster: ClusterConfig;
}

/** A node's identity and how it meets the other nodes. */
export interface ClusterConfig {
  nodeId: string;
  /** Region codes served; `['*']` serves all (the embedded single-node default). */
  regions: string[];
  /** Where inter-node media pipes listen and what address they announce. */
  pipe: { listenIp: string; announcedAddress: string | undefined };
  /** Shared HMAC secret of node-to-node messages; undefined: this node pipes to nobody. */
  secret: string | undefined;
  /** Where the other nodes fetch files this node holds (RVW_INTERNAL_ORIGIN); undefined: where it listens. */
  internalOrigin: string | undefined;
  heartbeatMs: number;
  ttlMs: number;
}

/** Parses the environment (or a test's record) into a frozen Config; throws with every problem listed. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  const scheme = e.RVW_TLS_CERT ? 'https' : 'http';
  // Browsers must use a hostname (not an IP) for WebAuthn; localhost is the dev default.
  const publicOrigin = (e.RVW_PUBLIC_ORIGIN ?? `${scheme}://localhost:${e.RVW_HTTP_PORT}`).replace(/\/$/, '');
  const extraOrigins = e.RVW_ALLOWED_ORIGINS.split(',').map((s) => s.trim()).filter(Boolean);
  const dataDir = path.resolve(e.RVW_DATA_DIR);
  const config: Config = {
    http: {
      host: e.RVW_HTTP_HOST,
      port: e.RVW_HTTP_PORT,
      publicOrigin,
      allowedOrigins: [publicOrigin, ...extraOrigins],
      ...(e.RVW_TLS_CERT && e.RVW_TLS_KEY ? { tls: { certFile: e.RVW_TLS_CERT, keyFile: e.RVW_TLS_KEY } } : {}),
    },
    ws: { heartbeatMs: e.RVW_WS_HEARTBEAT_MS },
    webauthn: { rpId: new URL(publicOrigin).hostname, rpName: '跨域通办远程虚拟窗口', origins: [publicOrigin, ...extraOrigins] },
    redisUrl: e.RVW_REDIS_URL,
    redisSentinel: e.RVW_REDIS_SENTINELS
      ? {
          name: e.RVW_REDIS_SENTINEL_NAME,
          sentinels: e.RVW_REDIS_SENTINELS.split(',').map((entry) => {
            const [host = '', port = ''] = entry.trim().split(':');
            return { host, port: Number(port) };
          }),
          ...(e.RVW_REDIS_PASSWORD ? { password: e.RVW_REDIS_PASSWORD } : {}),
        }
      : undefined,
    redisReplicaAck: { replicas: e.RVW_REDIS_MIN_REPLICAS_ACK ?? (e.RVW_REDIS_SENTINELS ? 1 : 0), timeoutMs: e.RVW_REDIS_ACK_TIMEOUT_MS },
    dataDir,
    logLevel: e.RVW_LOG_LEVEL,
    rtc: {
      listenIp: e.RVW_RTC_LISTEN_IP,
      announcedAddress: e.RVW_RTC_ANNOUNCED_ADDRESS,
      minPort: e.RVW_RTC_MIN_PORT,
      maxPort: e.RVW_RTC_MAX_PORT,
      turnUrls: e.RVW_TURN_URLS.split(',').map((s) => s.trim()).filter(Boolean),
      turnSecret: e.RVW_TURN_SECRET,
      turnTtlSeconds: e.RVW_TURN_TTL_SECONDS,
    },
    sfu: { numWorkers: e.RVW_SFU_WORKERS ?? os.availableParallelism() },
    pkiDir: path.resolve(e.RVW_PKI_DIR ?? path.join(dataDir, 'pki')),
    // signaling/src and signaling/dist both sit two levels below the repository: a path, never an import.
    webRoot: path.resolve(e.RVW_WEB_ROOT ?? fileURLToPath(new URL('../../web-client/dist', import.meta.url))),
    tsaUrl: e.RVW_TSA_URL,
    idCardReaderUrl: e.RVW_IDCARD_READER_URL,
    peerGraceMs: e.RVW_PEER_GRACE_MS,
    recording: { enabled: e.RVW_RECORDING === 'on', retentionDays: e.RVW_RECORDING_RETENTION_DAYS },
    archive: { url: e.RVW_ARCHIVE_URL, keepFinishedMs: Math.round(e.RVW_ARCHIVE_KEEP_FINISHED_DAYS * 86_400_000), pruneIntervalMs: e.RVW_ARCHIVE_PRUNE_INTERVAL_MS },
    metricsToken: e.RVW_METRICS_TOKEN,
    budgets: {
      socketsPerPrincipal: e.RVW_BUDGET_SOCKETS_PER_PRINCIPAL,
      requestsPerSecond: e.RVW_BUDGET_REQUESTS_PER_SECOND,
      requestBurst: e.RVW_BUDGET_REQUEST_BURST,
      transportsPerPeer: e.RVW_BUDGET_TRANSPORTS_PER_PEER,
      producersPerPeer: e.RVW_BUDGET_PRODUCERS_PER_PEER,
      transportsPerSession: e.RVW_BUDGET_TRANSPORTS_PER_SESSION,
      transportsPerPrincipal: e.RVW_BUDGET_TRANSPORTS_PER_PRINCIPAL,
      casesWaitingPerCounter: e.RVW_BUDGET_CASES_WAITING_PER_COUNTER,
      materialBytesPerCase: Math.round(e.RVW_BUDGET_MATERIAL_MB_PER_CASE * 1024 * 1024),
      materialBytesPerCounterHour: Math.round(e.RVW_BUDGET_MATERIAL_MB_PER_COUNTER_HOUR * 1024 * 1024),
      adminQueriesPerMinute: e.RVW_BUDGET_ADMIN_QUERIES_PER_MINUTE,
      adminExportsPerHour: e.RVW_BUDGET_ADMIN_EXPORTS_PER_HOUR,
    },
    cluster: {
      nodeId: e.RVW_NODE_ID ?? `node-${randomUUID().slice(0, 8)}`,
      regions: e.RVW_NODE_REGIONS.split(',').map((s) => s.trim()).filter(Boolean),
      pipe: { listenIp: e.RVW_PIPE_LISTEN_IP ?? e.RVW_RTC_LISTEN_IP, announcedAddress: e.RVW_PIPE_ANNOUNCED_ADDRESS ?? e.RVW_RTC_ANNOUNCED_ADDRESS },
      secret: e.RVW_CLUSTER_SECRET,
      internalOrigin: e.RVW_INTERNAL_ORIGIN?.replace(/\/$/, ''),
      heartbeatMs: e.RVW_NODE_HEARTBEAT_MS,
      ttlMs: Math.max(e.RVW_NODE_TTL_MS, e.RVW_NODE_HEARTBEAT_MS * 2),
    },
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
