import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

/** One built browser file of the auth pages. */
export interface AuthAsset {
  /** URL path, e.g. `/auth/login.js`. */
  urlPath: string;
  contentType: string;
  contents: Uint8Array;
}

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Bundles the auth pages' browser code with esbuild: `/auth/login.js`, `/auth/enroll.js`
 * (@simplewebauthn/browser inlined, ESM) and `/auth/auth.css`, which login.html / enroll.html in
 * web-client/public load. With `outDir` the files are also written under `<outDir>/auth/`.
 */
export async function buildAuthAssets(opts: { outDir?: string; minify?: boolean } = {}): Promise<AuthAsset[]> {
  const result = await esbuild.build({
    entryPoints: {
      login: path.join(here, 'loginPage.ts'),
      enroll: path.join(here, 'enrollPage.ts'),
      auth: path.join(here, 'auth.css'),
    },
    bundle: true,
    // Workspace packages (@rvw/*) are bundled from their TypeScript sources.
    conditions: ['source'],
    format: 'esm',
    platform: 'browser',
    target: ['chrome109', 'edge109', 'safari16', 'firefox115'],
    minify: opts.minify ?? true,
    sourcemap: false,
    write: false,
    outdir: 'auth',
    logLevel: 'silent',
  });
  const assets = result.outputFiles.map((f) => {
    const name = path.basename(f.path);
    return { urlPath: `/auth/${name}`, contentType: name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8', contents: f.contents };
  });
  if (opts.outDir) {
    const dir = path.join(opts.outDir, 'auth');
    await mkdir(dir, { recursive: true });
    await Promise.all(assets.map((a) => writeFile(path.join(dir, path.basename(a.urlPath)), a.contents)));
  }
  return assets;
}
