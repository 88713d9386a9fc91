import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildWebClient } from '@rvw/web-client/build';
import { serverBuildDir } from '../harness/serverBuild';

/**
 * Once per test run: builds the pages from the current sources into a fresh directory and hands
 * it to every test process as RVW_WEB_ROOT (the nodes the harness starts serve it), so tests see
 * today's code without the node bundling anything, and parallel runs never share a directory.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rvw-web-'));
  process.env.RVW_WEB_ROOT = await buildWebClient({ outDir: path.join(dir, 'web') });
  // The run's id: the files that need the built node build it once between them (serverBuild.ts).
  process.env.RVW_TEST_RUN_ID = path.basename(dir);
  return async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(serverBuildDir(process.env.RVW_TEST_RUN_ID!), { recursive: true, force: true });
  };
}
