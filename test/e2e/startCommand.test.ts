import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, readdir, readlink, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@rvw/infra/redis/freePort';
import { ensureServerBuilt } from '../harness/serverBuild';

// README command one (infra/start.sh) installs and builds, then ends in
// `node infra/dist/demo/startDemo.js`: a fresh data directory must come up with its own
// redis-server, dev PKI, demo catalogue, the first admin's invite and the counter terminals'
// activation links, run no TypeScript tooling, and stop cleanly on SIGTERM.
const START_LINE = 'exec node infra/dist/demo/startDemo.js';
const TOOLING = /node_modules\/(tsx|esbuild|typescript|@esbuild)\b|\btsx\b|\besbuild\b|\btsc\b/;

/** The pid and every descendant's, from /proc/<pid>/task/<tid>/children. */
async function processTree(pid: number): Promise<number[]> {
  const out = [pid];
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [])) {
    const children = await readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => '');
    for (const c of children.split(' ').filter(Boolean)) out.push(...(await processTree(Number(c))));
  }
  return out;
}

describe('the start command', () => {
  let child: ChildProcess | undefined;
  let dataDir: string;

  beforeAll(async () => {
    // The server half of `npm run build` (infra/install.sh runs all of it); the pages come from
    // the run's globalSetup build through RVW_WEB_ROOT.
    await ensureServerBuilt();
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('starts on a fresh data directory, prints the URL and invites, serves, and stops on SIGTERM', async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'rvw-start-'));
    // PostgreSQL runs as the postgres user (we are root): it must be able to reach the data directory's postgres/.
    await chmod(dataDir, 0o711);
    const port = await freePort();
    expect(await readFile('infra/start.sh', 'utf8')).toContain(`\n${START_LINE}\n`);
    child = spawn('node', ['infra/dist/demo/startDemo.js'], {
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

    // Plain node on the build output: no TypeScript tooling in any process of the tree, as a
    // command line or as a mapped file.
    const tree = await processTree(child.pid!);
    expect(tree.length).toBeGreaterThan(1); // node, its redis-server and mediasoup worker
    const cmdlines = await Promise.all(tree.map((p) => readFile(`/proc/${p}/cmdline`, 'utf8').then((c) => c.replaceAll('\0', ' '))));
    expect(cmdlines.join('\n')).toContain('infra/dist/demo/startDemo.js');
    expect(cmdlines.join('\n')).toMatch(/redis-server/);
    // The case archive's PostgreSQL, under the data directory.
    expect(cmdlines.join('\n')).toMatch(/\/usr\/lib\/postgresql\/\d+\/bin\/postgres -D \S+\/postgres\/pgdata/);
    expect(cmdlines.join('\n')).toMatch(/mediasoup-worker/);
    for (const c of cmdlines) expect(c).not.toMatch(TOOLING);
    for (const p of tree) expect(await readFile(`/proc/${p}/maps`, 'utf8')).not.toMatch(TOOLING);
    // Nor as an open file (node keeps no module files open, but a loaded .node addon or a child's binary would show).
    for (const p of tree) {
      const fds = await readdir(`/proc/${p}/fd`).catch(() => []);
      const targets = await Promise.all(fds.map((fd) => readlink(`/proc/${p}/fd/${fd}`).catch(() => '')));
      for (const t of targets) expect(t).not.toMatch(TOOLING);
    }

    const health = (await (await fetch(`http://localhost:${port}/healthz`)).json()) as { data: { redis: boolean; workers: number } };
    expect(health.data).toEqual({ redis: true, workers: 1 });
    // /metrics is for the monitoring system: the start command printed how to scrape it.
    expect(out).toContain(`metrics:              curl -H "Authorization: Bearer $(cat ${path.join(dataDir, 'metrics-token')})" http://localhost:${port}/metrics`);
    expect((await fetch(`http://localhost:${port}/metrics`)).status).toBe(401);
    const metricsToken = (await readFile(path.join(dataDir, 'metrics-token'), 'utf8')).trim();
    const metrics = await (await fetch(`http://localhost:${port}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).text();
    expect(metrics).toContain('rvw_sfu_workers 1');
    // Every change so far (the demo's seeded counter and staff make none) is in the archive: nothing waits.
    expect(metrics).toMatch(/^rvw_archive_backlog 0$/m);
    // The embedded redis-server keeps its AOF under the data directory; the dev PKI is there too.
    expect((await stat(path.join(dataDir, 'redis', 'appendonlydir'))).isDirectory()).toBe(true);
    expect((await stat(path.join(dataDir, 'pki', 'regions', '341522', 'cert.pem'))).isFile()).toBe(true);
    expect((await readFile(path.join(dataDir, 'postgres', 'pgdata', 'PG_VERSION'), 'utf8')).trim()).toMatch(/^\d+$/);

    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
