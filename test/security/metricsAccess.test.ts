import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureMetricsToken } from '@rvw/signaling/http/metricsAccess';
import { startTestNode, type TestNode } from '../harness/testNode';

// Issue #12 F9: /metrics is for the monitoring system (a bearer token), not for anyone who asks.
describe('/metrics access', () => {
  const TOKEN = 'metrics-token-for-the-monitoring-system-0123';
  let t: TestNode;
  let dir: string;

  beforeAll(async () => {
    t = await startTestNode({ env: { RVW_METRICS_TOKEN: TOKEN } });
    dir = await mkdtemp(path.join(os.tmpdir(), 'rvw-metrics-'));
  });
  afterAll(async () => {
    await t?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const scrape = (headers: Record<string, string> = {}) => fetch(`${t.origin}/metrics`, { headers });

  it('anonymous, a signed-in administrator\'s session and a wrong token get no metrics', async () => {
    const anonymous = await scrape();
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    const body = (await anonymous.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('UNAUTHENTICATED');
    expect(body.error.message).toContain('监控');

    const admin = await scrape({ cookie: t.admin.cookieHeader });
    expect(admin.status).toBe(401);
    expect(await admin.text()).not.toContain('rvw_');

    const wrong = await scrape({ authorization: `Bearer ${TOKEN.slice(0, -1)}x` });
    expect(wrong.status).toBe(403);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    expect((await scrape({ authorization: TOKEN })).status).toBe(401);
  });

  it('the configured token gets the Prometheus text', async () => {
    const res = await scrape({ authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/^# HELP rvw_/m);
    expect(text).toContain('rvw_sfu_workers 1');
  });

  it('without configuration a token is generated once into the data directory (0600) and kept', async () => {
    const first = await ensureMetricsToken(undefined, dir);
    expect(first.file).toBe(path.join(dir, 'metrics-token'));
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await stat(first.file!)).mode & 0o777).toBe(0o600);
    expect((await ensureMetricsToken(undefined, dir)).token).toBe(first.token);
    expect(await ensureMetricsToken(TOKEN, dir)).toEqual({ token: TOKEN });
  });
});
