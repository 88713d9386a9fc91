import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Where the bundles go by default (served under /dist). */
export const DEFAULT_OUT_DIR = path.join(here, 'dist');
/** Static pages and styles (served under /). */
export const PUBLIC_DIR = path.join(here, 'public');

/**
 * Bundles every page entry (web-client/src/pages/*.ts) with mediasoup-client and
 * @simplewebauthn/browser into ES modules. Takes well under a second, so the server builds at
 * start-up and tests always run the current code.
 */
export async function buildWebClient(options: { outDir?: string; minify?: boolean } = {}): Promise<string> {
  const outDir = options.outDir ?? DEFAULT_OUT_DIR;
  const pagesDir = path.join(here, 'src', 'pages');
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
  return outDir;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const out = await buildWebClient({ minify: true });
  process.stdout.write(`web client built into ${out}\n`);
}
