import path from 'node:path';
import express, { type Router } from 'express';
import { buildWebClient, PUBLIC_DIR } from '@rvw/web-client/build';
import { buildAuthAssets } from '@rvw/web-client/auth/buildAuthAssets';

/** Options for {@link createWebAssets}. */
export interface WebAssetsOptions {
  /** Directory for the web bundles (tests use a temp dir). */
  outDir?: string;
}

/** Bundles the pages and serves them: /dist, /auth, the HTML pages, and / → the login page. */
export async function createWebAssets(opts: WebAssetsOptions): Promise<Router> {
  const webOut = await buildWebClient(opts.outDir ? { outDir: opts.outDir } : {});
  await buildAuthAssets({ outDir: webOut });
  const router = express.Router();
  router.use('/dist', express.static(webOut, { fallthrough: false }));
  router.use('/auth', express.static(path.join(webOut, 'auth'), { fallthrough: false }));
  router.get('/', (_req, res) => res.redirect('/login.html'));
  // No icon: answer browsers' automatic request without a 404 in every console.
  router.get('/favicon.ico', (_req, res) => res.status(204).end());
  router.use(express.static(PUBLIC_DIR, { extensions: ['html'] }));
  return router;
}
