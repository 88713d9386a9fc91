import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
/** Runs a command; a failure carries its output, so the install step that broke is named. */
async function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}) {
  try {
    return await exec(cmd, args, { ...opts, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 });
  } catch (e) {
    const err = e as Error & { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}
const repo = path.resolve(import.meta.dirname, '../..');

// Setup (README command one's install half: npm ci from the lock, the mediasoup worker, npm run
// build) on a fresh clone of HEAD must leave `git status` clean, and do so again when re-run.
// The worker build cache (.cache/mediasoup-worker, ignored by git) is copied from this checkout so
// build-worker.sh installs the cached binary instead of compiling for minutes.
describe('setup on a fresh clone', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 500 });
  });

  it('installs and builds from the lock, and leaves git status clean (twice)', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rvw-clone-'));
    const clone = path.join(dir, 'repo');
    await run('git', ['clone', '--quiet', repo, clone]);
    await cp(path.join(repo, '.cache', 'mediasoup-worker'), path.join(clone, '.cache', 'mediasoup-worker'), { recursive: true });
    // Prefer the local npm cache: the lock's tarballs are there from this checkout's install.
    const env = { ...process.env, npm_config_prefer_offline: 'true' };

    // About 50 s on an idle 2-core machine (npm ci, copying the cached worker, the build).
    const first = await run('bash', ['infra/install.sh'], { cwd: clone, env, timeout: 300_000 });
    expect(first.stdout).toContain('[install] npm: installing dependencies from package-lock.json');
    expect(first.stdout).toContain('[build-worker] cache hit');
    expect(first.stdout).toContain('[install] done');
    // The build output is there: the servers' entries and the pages.
    for (const f of ['signaling/dist/main.js', 'infra/dist/demo/startDemo.js', 'web-client/dist/counter.js', 'web-client/dist/auth/login.js', 'web-client/dist/public/login.html']) {
      expect((await stat(path.join(clone, f))).isFile(), f).toBe(true);
    }
    expect((await run('git', ['status', '--porcelain'], { cwd: clone })).stdout).toBe('');

    const second = await run('bash', ['infra/install.sh'], { cwd: clone, env, timeout: 200_000 });
    expect(second.stdout).toContain('[install] npm: dependencies match package-lock.json');
    expect(second.stdout).toContain('[install] done');
    expect((await run('git', ['status', '--porcelain'], { cwd: clone })).stdout).toBe('');
  }, 560_000);
});
