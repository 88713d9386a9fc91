import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { freePort } from './freePort.js';

/** Options for {@link RedisServer.start}. */
export interface RedisServerOptions {
  /** Directory holding the AOF and the server log; created if missing. */
  dataDir: string;
  /** TCP port on 127.0.0.1; a free one is picked when omitted. */
  port?: number;
  /** Path of the redis-server binary (Debian's by default). */
  binary?: string;
}

/**
 * A private redis-server process with AOF `appendfsync always`, bound to loopback only, with a
 * password generated per start (`requirepass`, in a 0600 config file rather than on the command
 * line where `ps` shows it): another local user or a page doing DNS rebinding reaches nothing.
 * The password travels in {@link url}.
 * Used by the start script (data under ./data) and by every integration test (temp dir,
 * free port), so nothing ever depends on a Redis someone else started.
 */
export class RedisServer {
  #child: ChildProcess | undefined;
  readonly #args: string[];
  readonly #binary: string;
  readonly #password = randomBytes(24).toString('hex');

  private constructor(
    /** The loopback port the server listens on. */
    readonly port: number,
    /** The directory with appendonlydir/ and redis.log. */
    readonly dataDir: string,
    binary: string,
  ) {
    this.#binary = binary;
    this.#args = [
      // The config file (requirepass) comes first: redis-server reads it, then the options below.
      path.join(dataDir, 'redis-auth.conf'),
      '--bind', '127.0.0.1',
      '--port', String(port),
      '--dir', dataDir,
      '--appendonly', 'yes',
      '--appendfsync', 'always',
      // RDB snapshots are redundant with AOF-always and would fork on a 24 GiB box under load.
      '--save', '',
      '--protected-mode', 'yes',
      '--daemonize', 'no',
      '--logfile', 'redis.log',
    ];
  }

  /** Starts redis-server and resolves once it answers PING. */
  static async start(options: RedisServerOptions): Promise<RedisServer> {
    await mkdir(options.dataDir, { recursive: true });
    const port = options.port ?? (await freePort());
    const server = new RedisServer(port, options.dataDir, options.binary ?? '/usr/bin/redis-server');
    await server.#spawn();
    return server;
  }

  /** `redis://:PASSWORD@127.0.0.1:PORT` */
  get url(): string {
    return `redis://:${this.#password}@127.0.0.1:${this.port}`;
  }

  /** The OS process id, for tests that kill it. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** SIGKILLs the server (no chance to flush anything beyond what AOF-always already wrote). */
  async kill9(): Promise<void> {
    await this.#terminate('SIGKILL');
  }

  /** Starts the server again on the same port and data directory (after kill9 or stop). */
  async restart(): Promise<void> {
    if (this.#child) await this.stop();
    await this.#spawn();
  }

  /** Stops the server gracefully; idempotent. */
  async stop(): Promise<void> {
    await this.#terminate('SIGTERM');
  }

  async #terminate(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      this.#child = undefined;
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
    this.#child = undefined;
  }

  async #spawn(): Promise<void> {
    await writeFile(path.join(this.dataDir, 'redis-auth.conf'), `requirepass ${this.#password}\n`, { mode: 0o600 });
    const child = spawn(this.#binary, this.#args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#child = child;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const failed = new Promise<never>((_, reject) => {
      child.once('error', reject);
      child.once('exit', (code) =>
        reject(new Error(`redis-server exited with code ${code} before it was ready: ${stderr.trim()}`)),
      );
    });
    await Promise.race([waitForPing(this.port, this.#password), failed]);
    // Ready: stop treating an exit as a start-up failure.
    child.removeAllListeners('exit');
    child.removeAllListeners('error');
  }
}

async function waitForPing(port: number, password: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ping(port, password)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
}

function ping(port: number, password: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let answer = '';
    socket.setTimeout(500);
    socket.on('connect', () => socket.write(`AUTH ${password}\r\nPING\r\n`));
    socket.on('data', (d) => {
      answer += d.toString();
      const lines = answer.split('\r\n');
      if (lines.length >= 3) {
        socket.destroy();
        // LOADING while the AOF is replayed: not ready yet.
        resolve(lines[0] === '+OK' && lines[1] === '+PONG');
      }
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
