import http from 'node:http';
import https from 'node:https';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Config } from '../config.js';

/** An HTTP server for the app, HTTPS when the configuration names a certificate. */
export async function createHttpServer(httpConfig: Config['http'], app: Express): Promise<http.Server> {
  return httpConfig.tls ? https.createServer({ cert: await readFile(httpConfig.tls.certFile), key: await readFile(httpConfig.tls.keyFile) }, app) : http.createServer(app);
}

/** Listens on the configured port; resolves with the base URL (public host, actual port). */
export async function listen(server: http.Server, httpConfig: Config['http']): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(httpConfig.port, httpConfig.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const publicUrl = new URL(httpConfig.publicOrigin);
  return `${publicUrl.protocol}//${publicUrl.hostname}:${port}`;
}
