import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { AuthModule } from '@rvw/signaling/auth/AuthModule';
import type { AuthTimeouts } from '@rvw/signaling/auth/authTimeouts';
import type { AuthRateLimits } from '@rvw/signaling/auth/createAuthRouter';
import type { Hall } from '@rvw/signaling/auth/CounterRegistry';
import { loadConfig, type Config } from '@rvw/signaling/config';
import { securityHeaders } from '@rvw/signaling/http/security';
import { silentLogger } from '@rvw/signaling/observability/logger';
import { connectRedis, type RedisClient } from '@rvw/signaling/store/redisClient';
import { buildAuthAssets, type AuthAsset } from '@rvw/web-client/auth/buildAuthAssets';
import { createTestClock, type TestClock } from './testClock';

const publicDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web-client/public');

/** A running test server: the auth router + auth pages on `http://localhost:PORT`, real Redis. */
export interface AuthTestServer {
  /** `http://localhost:PORT` — the WebAuthn origin (rpID `localhost`). */
  origin: string;
  port: number;
  config: Readonly<Config>;
  auth: AuthModule;
  redis: RedisClient;
  clock: TestClock;
  /** Halls known to the fake catalogue (`getHall`). */
  halls: Map<string, Hall>;
  close(): Promise<void>;
}

let assetsOnce: Promise<AuthAsset[]> | undefined;

const PLACEHOLDER = (title: string) =>
  `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1></body></html>`;

/** Starts the test server on a free port (127.0.0.1, browsed as localhost). */
export async function startAuthTestServer(opts: {
  redisUrl: string;
  timeouts?: Partial<AuthTimeouts>;
  rateLimits?: Partial<AuthRateLimits>;
}): Promise<AuthTestServer> {
  const app = express();
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const origin = `http://localhost:${port}`;
  const config = loadConfig({ RVW_PUBLIC_ORIGIN: origin, RVW_HTTP_PORT: String(port), RVW_LOG_LEVEL: 'silent' });
  const redis = await connectRedis(opts.redisUrl);
  const clock = createTestClock();
  const halls = new Map<string, Hall>([
    ['H-A1', { id: 'H-A1', regionCode: 'A', name: '甲市政务服务中心' }],
    ['H-A2', { id: 'H-A2', regionCode: 'A', name: '甲市第二大厅' }],
    ['H-B1', { id: 'H-B1', regionCode: 'B', name: '乙市政务服务中心' }],
  ]);
  const auth = await AuthModule.create({
    redis,
    config,
    logger: silentLogger(),
    getHall: async (id) => halls.get(id),
    clock,
    rateLimits: opts.rateLimits ?? {
      login: { windowMs: 60_000, limit: 10_000 },
      registration: { windowMs: 60_000, limit: 10_000 },
      invite: { windowMs: 60_000, limit: 10_000 },
      activation: { windowMs: 60_000, limit: 10_000 },
    },
    ...(opts.timeouts ? { timeouts: opts.timeouts } : {}),
  });
  assetsOnce ??= buildAuthAssets({ minify: false });
  const assets = await assetsOnce;

  app.use(securityHeaders({ publicOrigin: config.http.publicOrigin, allowedOrigins: config.http.allowedOrigins }));
  app.use(auth.router());
  for (const asset of assets) {
    app.get(asset.urlPath, (_req, res) => {
      res.type(asset.contentType).send(Buffer.from(asset.contents));
    });
  }
  for (const page of ['login.html', 'enroll.html']) {
    app.get(`/${page}`, async (_req, res) => {
      res.type('text/html; charset=utf-8').send(await readFile(path.join(publicDir, page), 'utf8'));
    });
  }
  app.get('/clerk.html', (_req, res) => res.type('html').send(PLACEHOLDER('窗口工作台')));
  app.get('/admin.html', (_req, res) => res.type('html').send(PLACEHOLDER('管理后台')));

  return {
    origin,
    port,
    config,
    auth,
    redis,
    clock,
    halls,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await auth.close();
      await redis.close().catch(() => redis.destroy());
    },
  };
}
