import { createClient } from 'redis';

function makeClient(url: string) {
  return createClient({
    url,
    socket: {
      // Reconnect quickly: a restarted redis-server (AOF replay) is back within a second or two.
      reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 1000),
    },
  });
}

/** The node-redis client type used across the store layer. */
export type RedisClient = ReturnType<typeof makeClient>;

/** Connects a node-redis client; callers own it and must `quit()`/`destroy()` it. */
export async function connectRedis(url: string): Promise<RedisClient> {
  const client = makeClient(url);
  // Connection errors are retried by the reconnect strategy; without a listener node-redis would throw.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}
