import { execFile } from 'node:child_process';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/** Where one test run marks its server build (the run's id comes from the globalSetup). */
export function serverBuildDir(runId: string): string {
  return path.join(os.tmpdir(), `rvw-server-build-${runId}`);
}

/**
 * `npm run build:server` once per test run, however many files need the built node. Each file
 * building on its own rewrote `dist/` while another file's node process was importing it (tsc
 * truncates and rewrites every file), and that node died on a half-written module. The first
 * caller builds; the others wait for it and share its outcome.
 */
export async function ensureServerBuilt(timeoutMs = 170_000): Promise<void> {
  const dir = serverBuildDir(process.env.RVW_TEST_RUN_ID ?? `pid-${process.pid}`);
  const done = path.join(dir, 'done');
  const failed = path.join(dir, 'failed');
  try {
    await mkdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await access(done).then(() => true, () => false)) return;
      if (await access(failed).then(() => true, () => false)) throw new Error(`build:server failed in another test file: ${await readFile(failed, 'utf8')}`);
      if (Date.now() > deadline) throw new Error('build:server: another test file is still building');
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    await promisify(execFile)('npm', ['run', '--silent', 'build:server'], { timeout: timeoutMs });
    await writeFile(done, '');
  } catch (e) {
    await writeFile(failed, String(e));
    throw e;
  }
}
