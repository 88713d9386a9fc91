import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PostgresServer } from '@rvw/infra/postgres/PostgresServer';

/** A private PostgreSQL in a temp dir on a free port, for one test file. */
export interface TestPostgres {
  /** The running server (a test that restarts it on the same directory puts the new one here). */
  server: PostgresServer;
  /** postgres://rvw:PASSWORD@127.0.0.1:PORT/rvw */
  url: string;
  /** Stops the server and removes its directory. */
  dispose(): Promise<void>;
}

/** Starts a private PostgreSQL for a test file (fresh cluster, temp dir, free loopback port). */
export async function startTestPostgres(): Promise<TestPostgres> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rvw-postgres-'));
  try {
    const server = await PostgresServer.start({ dataDir });
    const handle: TestPostgres = {
      server,
      url: server.url,
      async dispose() {
        // The server a test restarted on the same directory, if it did.
        await handle.server.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
    return handle;
  } catch (e) {
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
}
