import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type Router } from 'express';

/** A real express server on 127.0.0.1, port 0, mounting the given routers. */
export async function startHttpServer(...routers: Router[]): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  for (const router of routers) app.use(router);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
