import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Router } from 'express';

/** Options for {@link createWebAssets}. */
export interface WebAssetsOptions {
  /** The built pages (`npm run build`): bundles at the top, auth/ and public/ beside them. */
  webRoot: string;
}

/**
 * Serves the pages built ahead of time (the node bundles nothing and imports no web code):
 * /dist the bundles, /auth the sign-in assets, the HTML pages, and / → the login page.
 */
export function createWebAssets(opts: WebAssetsOptions): Router {
  const publicDir = path.join(opts.webRoot, 'public');
  if (!existsSync(path.join(publicDir, 'login.html'))) {
    // Fail at start, not with a 404 on every page: the build step was skipped or RVW_WEB_ROOT is wrong.
    throw new Error(`no built web client in ${opts.webRoot}: run \`npm run build\` or set RVW_WEB_ROOT`);
  }
  const router = express.Router();
  router.use('/dist', express.static(opts.webRoot, { fallthrough: false }));
  router.use('/auth', express.static(path.join(opts.webRoot, 'auth'), { fallthrough: false }));
  router.get('/', (_req, res) => res.redirect('/login.html'));
  // No icon: answer browsers' automatic request without a 404 in every console.
  router.get('/favicon.ico', (_req, res) => res.status(204).end());
  router.use(express.static(publicDir, { extensions: ['html'] }));
  return router;
}
