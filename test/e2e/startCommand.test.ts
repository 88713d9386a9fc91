import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '@rvw/infra/redis/freePort';

// README command one ends in `tsx signaling/src/main.ts`: a fresh data directory must come up
// with its own redis-server, dev PKI, demo catalogue, the first admin's invite and the counter
// terminals' activation links, and stop cleanly on SIGTERM.
describe('the start command', () => {
  let child: ChildProcess | undefined;
  let dataDir: string;

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('starts on a fresh data directory, prints the URL and invites, serves, and stops on SIGTERM', async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'rvw-start-'));
    const port = await freePort();
    child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'signaling/src/main.ts'], {
      env: { ...process.env, RVW_HTTP_PORT: String(port), RVW_DATA_DIR: dataDir, RVW_LOG_LEVEL: 'warn', RVW_SFU_WORKERS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 60_000;
    while (!out.includes('counter terminal') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    expect(out, out).toContain(`open:                 http://localhost:${port}/`);
    expect(out).toMatch(/first administrator:  http:\/\/localhost:\d+\/enroll\.html#[A-Za-z0-9_-]{20,}/);
    expect(out.match(/counter terminal: +http:\/\/localhost:\d+\/counter\.html#activate=[A-Za-z0-9_-]+/g)).toHaveLength(2);
    expect(out).toContain('苏州市吴江区');

    const health = (await (await fetch(`http://localhost:${port}/healthz`)).json()) as { data: { redis: boolean; workers: number } };
    expect(health.data).toEqual({ redis: true, workers: 1 });
    // /metrics is for the monitoring system: the start command printed how to scrape it.
    expect(out).toContain(`metrics:              curl -H "Authorization: Bearer $(cat ${path.join(dataDir, 'metrics-token')})" http://localhost:${port}/metrics`);
    expect((await fetch(`http://localhost:${port}/metrics`)).status).toBe(401);
    const metricsToken = (await readFile(path.join(dataDir, 'metrics-token'), 'utf8')).trim();
    const metrics = await (await fetch(`http://localhost:${port}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).text();
    expect(metrics).toContain('rvw_sfu_workers 1');
    // The embedded redis-server keeps its AOF under the data directory; the dev PKI is there too.
    expect((await stat(path.join(dataDir, 'redis', 'appendonlydir'))).isDirectory()).toBe(true);
    expect((await stat(path.join(dataDir, 'pki', 'regions', '341522', 'cert.pem'))).isFile()).toBe(true);

    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
