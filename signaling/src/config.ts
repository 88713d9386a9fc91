import os from 'node:os';
import path from 'node:path';
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
  /** Directory with per-region signing keys/certificates (PEM); defaults to <data>/pki. */
  RVW_PKI_DIR: z.string().optional(),
  /** RFC 3161 timestamp authority URL, optional. */
  RVW_TSA_URL: z.string().url().optional(),
  /** Bearer token the monitoring system scrapes /metrics with; when unset, generated into <data>/metrics-token. */
  RVW_METRICS_TOKEN: z.string().min(24, 'RVW_METRICS_TOKEN must be at least 24 characters').optional(),
  /** Grace period before a vanished peer is removed from a session. */
  RVW_PEER_GRACE_MS: z.coerce.number().int().min(0).default(15_000),
});

/** Parsed, typed configuration. */
export interface Config {
  http: { host: string; port: number; publicOrigin: string; allowedOrigins: string[]; tls?: { certFile: string; keyFile: string } };
  /** WebAuthn relying party: id (hostname) and expected origin(s). */
  webauthn: { rpId: string; rpName: string; origins: string[] };
  redisUrl: string | undefined;
  dataDir: string;
  logLevel: string;
  rtc: { listenIp: string; announcedAddress: string | undefined; minPort: number; maxPort: number; turnUrls: string[]; turnSecret: string | undefined };
  sfu: { numWorkers: number };
  pkiDir: string;
  tsaUrl: string | undefined;
  peerGraceMs: number;
  /** Scrape token for /metrics (undefined: generated under the data directory). */
  metricsToken: string | undefined;
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
    webauthn: { rpId: new URL(publicOrigin).hostname, rpName: '跨域通办远程虚拟窗口', origins: [publicOrigin, ...extraOrigins] },
    redisUrl: e.RVW_REDIS_URL,
    dataDir,
    logLevel: e.RVW_LOG_LEVEL,
    rtc: {
      listenIp: e.RVW_RTC_LISTEN_IP,
      announcedAddress: e.RVW_RTC_ANNOUNCED_ADDRESS,
      minPort: e.RVW_RTC_MIN_PORT,
      maxPort: e.RVW_RTC_MAX_PORT,
      turnUrls: e.RVW_TURN_URLS.split(',').map((s) => s.trim()).filter(Boolean),
      turnSecret: e.RVW_TURN_SECRET,
    },
    sfu: { numWorkers: e.RVW_SFU_WORKERS ?? os.availableParallelism() },
    pkiDir: path.resolve(e.RVW_PKI_DIR ?? path.join(dataDir, 'pki')),
    tsaUrl: e.RVW_TSA_URL,
    peerGraceMs: e.RVW_PEER_GRACE_MS,
    metricsToken: e.RVW_METRICS_TOKEN,
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
