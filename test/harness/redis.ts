import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RedisServer } from '@rvw/infra/redis/RedisServer';

/** A private redis-server in a temp dir on a free port, for one test file. */
export interface TestRedis {
  server: RedisServer;
  url: string;
  /** Stops the server and removes its directory. */
  dispose(): Promise<void>;
}

/** Starts a private redis-server for a test file (AOF always, temp dir, free loopback port). */
export async function startTestRedis(): Promise<TestRedis> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rvw-redis-'));
  const server = await RedisServer.start({ dataDir });
  return {
    server,
    url: server.url,
    async dispose() {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
