import { readFile, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '@rvw/signaling/store/redisClient';
import { startTestRedis, type TestRedis } from '../harness/redis';

/** One raw RESP exchange without credentials: what another local user or process would get. */
function rawCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(command));
    let answer = '';
    socket.setTimeout(2000);
    socket.on('data', (d) => {
      answer += d.toString();
      if (answer.includes('\r\n')) {
        socket.destroy();
        resolve(answer);
      }
    });
    socket.on('error', reject);
    socket.on('timeout', () => reject(new Error('no answer')));
  });
}

// Issue #12 "also observed": the embedded redis-server had no password. It now has one generated
// per start (requirepass, from a 0600 config file), listens on loopback only, and the URL carries it.
describe('the embedded redis-server', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startTestRedis();
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  it('refuses a client without the password and serves the URL that carries it', async () => {
    const port = redis.server.port;
    expect(await rawCommand(port, 'PING\r\n')).toMatch(/^-NOAUTH/);
    expect(await rawCommand(port, 'KEYS *\r\n')).toMatch(/^-NOAUTH/);
    expect(await rawCommand(port, 'AUTH wrong-password\r\n')).toMatch(/^-(WRONGPASS|ERR)/);
    expect(redis.url).toMatch(/^redis:\/\/:[0-9a-f]{48}@127\.0\.0\.1:\d+$/);

    const client = await connectRedis(redis.url);
    try {
      await client.set('probe', 'ok');
      expect(await client.get('probe')).toBe('ok');
      expect(await client.configGet('bind')).toEqual({ bind: '127.0.0.1' });
    } finally {
      await client.quit();
    }
  });

  it('keeps the password out of the command line and in a file only its owner reads; a restart keeps it', async () => {
    const conf = path.join(redis.server.dataDir, 'redis-auth.conf');
    expect((await stat(conf)).mode & 0o777).toBe(0o600);
    const password = new URL(redis.url).password;
    expect(password).toHaveLength(48);
    expect(await readFile(`/proc/${redis.server.pid}/cmdline`, 'utf8')).not.toContain(password);
    await redis.server.restart();
    const client = await connectRedis(redis.url);
    try {
      expect(await client.get('probe')).toBe('ok');
    } finally {
      await client.quit();
    }
  });
});
