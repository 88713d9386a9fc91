import { cp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { buildAuthAssets } from './src/auth/buildAuthAssets';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Where the build goes by default: the node's default web root (RVW_WEB_ROOT). */
export const DEFAULT_OUT_DIR = path.join(here, 'dist');
/** Static pages and styles, copied into `<outDir>/public` (served under /). */
export const PUBLIC_DIR = path.join(here, 'public');

/**
 * Builds the web root the node serves: every page entry (web-client/src/pages/*.ts) bundled with
 * mediasoup-client into ES modules at the top, the sign-in assets under auth/, and the static
 * pages under public/. Run by `npm run build` (at install) and once per test run (vitest
 * globalSetup); the node itself only serves the result.
 */
export async function buildWebClient(options: { outDir?: string; minify?: boolean } = {}): Promise<string> {
  const outDir = options.outDir ?? DEFAULT_OUT_DIR;
  const pagesDir = path.join(here, 'src', 'pages');
  // A clean directory: no bundle of a page that no longer exists is served.
  await rm(outDir, { recursive: true, force: true });
  const entryPoints = (await readdir(pagesDir)).filter((f) => f.endsWith('.ts')).map((f) => path.join(pagesDir, f));
  await esbuild.build({
    entryPoints,
    outdir: outDir,
    bundle: true,
    // Workspace packages (@rvw/*) are bundled from their TypeScript sources.
    conditions: ['source'],
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    sourcemap: true,
    minify: options.minify ?? false,
    logLevel: 'silent',
    // mediasoup-client's debug dependency looks for these.
    define: { 'process.env.NODE_ENV': '"production"', 'process.env.DEBUG': 'undefined' },
  });
  await buildAuthAssets({ outDir });
  await cp(PUBLIC_DIR, path.join(outDir, 'public'), { recursive: true });
  return outDir;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const out = await buildWebClient({ minify: true });
  process.stdout.write(`web client built into ${out}\n`);
}
