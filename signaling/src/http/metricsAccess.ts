import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RequestHandler } from 'express';
import { respondWithError } from '../auth/respondWithError.js';
import { AppError } from '../errors/AppError.js';

/** File under the data directory holding the generated scrape token when RVW_METRICS_TOKEN is unset. */
export const METRICS_TOKEN_FILE = 'metrics-token';

/**
 * The token the monitoring system scrapes /metrics with: RVW_METRICS_TOKEN when configured,
 * else the one in `<dataDir>/metrics-token`, generated (256 bits, mode 0600) on first start and
 * kept, so a Prometheus job configured once keeps working across restarts.
 */
export async function ensureMetricsToken(configured: string | undefined, dataDir: string): Promise<{ token: string; file?: string }> {
  if (configured) return { token: configured };
  const file = path.join(dataDir, METRICS_TOKEN_FILE);
  const existing = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (existing.length >= 32) return { token: existing, file };
  await mkdir(dataDir, { recursive: true });
  const token = randomBytes(32).toString('base64url');
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return { token, file };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * /metrics shows request volumes, sessions and documents per type: for the monitoring system
 * only. `Authorization: Bearer <token>` required — missing → 401 UNAUTHENTICATED (with a
 * WWW-Authenticate challenge), wrong → 403 FORBIDDEN; compared in constant time.
 * Authentication, not access policy: the token proves the caller is the scraper (as a cookie proves
 * a staff member), it is no principal and grants nothing the policy module decides — so the one
 * FORBIDDEN outside auth/policy.ts (test/auth/policy.test.ts lists it as the exception).
 */
export function requireMetricsToken(token: string): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!m) {
      res.set('www-authenticate', 'Bearer realm="metrics"');
      respondWithError(res, new AppError('UNAUTHENTICATED', '监控指标仅供监控系统读取，请携带令牌 (metrics token required)', 401));
      return;
    }
    if (!timingSafeEqual(digest(m[1]!), expected)) {
      respondWithError(res, new AppError('FORBIDDEN', '监控令牌无效 (wrong metrics token)', 403));
      return;
    }
    next();
  };
}
