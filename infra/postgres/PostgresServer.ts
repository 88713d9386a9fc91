import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, open, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../redis/freePort.js';

/** Options for {@link PostgresServer.start}. */
export interface PostgresServerOptions {
  /**
   * Directory holding the cluster (`pgdata/`), its password and `postgres.log`; created if
   * missing. An initialised one (pgdata/PG_VERSION present) is reused as it is. As root, when the
   * postgres user cannot reach it (a 0700 parent), the cluster lives in a directory of its own
   * under /var/lib/postgresql/rvw instead (the server's `dataDir`; a LOCATION.txt here says which).
   */
  dataDir: string;
  /** TCP port on 127.0.0.1; a free one is picked when omitted. */
  port?: number;
  /**
   * Directory with initdb and postgres. Default: Debian's /usr/lib/postgresql/<N>/bin, the
   * cluster's own major version when the data directory exists, else the highest installed.
   */
  binDir?: string;
}

/** The role initdb creates (a superuser) and the database start() makes sure exists. */
const USER = 'rvw';
const DATABASE = 'rvw';
const DEBIAN_ROOT = '/usr/lib/postgresql';
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

/** Who initdb and postgres run as: PostgreSQL refuses root, so root hands them to `postgres`. */
interface RunAs {
  uid: number;
  gid: number;
}

/**
 * A private PostgreSQL server (Debian's postgresql package, own cluster under dataDir), bound to
 * 127.0.0.1 only with no Unix socket, scram-sha-256 for the superuser `rvw` whose random
 * password is generated at initdb and kept in a 0600 file beside the cluster (so a restart on the
 * same dataDir knows it; it travels in {@link url}). fsync and synchronous_commit stay on: a
 * committed row survives SIGKILL. Started as root (the installer, CI), initdb and postgres run as
 * Debian's `postgres` system user, which then owns dataDir.
 * Used by the start scripts (data under ./data) and by integration tests (temp dir, free port),
 * like {@link RedisServer}, so nothing depends on the package's own `main` cluster.
 */
export class PostgresServer {
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  readonly #password: string;
  readonly #runAs: RunAs | undefined;

  private constructor(
    /** The loopback port the server listens on. */
    readonly port: number,
    /** The directory with pgdata/, the password file and postgres.log. */
    readonly dataDir: string,
    /** The directory with the postgres binaries used. */
    readonly binDir: string,
    password: string,
    runAs: RunAs | undefined,
  ) {
    this.#password = password;
    this.#runAs = runAs;
  }

  /**
   * Initialises the cluster when dataDir has none, starts postgres and resolves once it answers
   * a query and database `rvw` exists. Rejects with the log's tail when postgres exits first.
   */
  static async start(options: PostgresServerOptions): Promise<PostgresServer> {
    const asked = path.resolve(options.dataDir);
    await mkdir(asked, { recursive: true });
    const runAs = postgresUser();
    const dataDir = runAs ? await reachableHome(asked, runAs) : asked;
    const pgdata = path.join(dataDir, 'pgdata');
    const initialised = existsSync(path.join(pgdata, 'PG_VERSION'));
    const binDir = options.binDir ?? findBinDir(initialised ? readFileSync(path.join(pgdata, 'PG_VERSION'), 'utf8').trim() : undefined);
    if (runAs) await handOver(dataDir, runAs);

    const passwordFile = path.join(dataDir, 'password');
    let password = (await readFile(passwordFile, 'utf8').catch(() => '')).trim();
    if (!initialised) {
      password = randomBytes(24).toString('hex');
      await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
      await chmod(passwordFile, 0o600);
      if (runAs) await chown(passwordFile, runAs.uid, runAs.gid);
      await initdb(binDir, pgdata, passwordFile, runAs);
    } else if (!password) {
      throw new Error(`${pgdata} is initialised but ${passwordFile} is missing: cannot connect as ${USER}`);
    }

    const port = options.port ?? (await freePort());
    const server = new PostgresServer(port, dataDir, binDir, password, runAs);
    await server.#spawnWithRetry();
    return server;
  }

  /** `postgres://rvw:PASSWORD@127.0.0.1:PORT/rvw` */
  get url(): string {
    return `postgres://${USER}:${this.#password}@127.0.0.1:${this.port}/${DATABASE}`;
  }

  /** The postmaster's process id, for tests. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /**
   * SIGKILLs the postmaster and its children (a crash: nothing is flushed beyond what commits
   * already fsynced). The next start recovers from the WAL. Use {@link restart} or
   * {@link PostgresServer.start} on the same dataDir to bring it back.
   */
  kill(): void {
    const child = this.#child;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    // Backends are their own process-group leaders (setsid), so they are listed and killed one
    // by one: otherwise one could still hold the shared memory when the next start checks it.
    const children = childPids(child.pid);
    child.kill('SIGKILL');
    for (const pid of children) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  /** Starts the server again on the same port and data directory (after kill or stop). */
  async restart(): Promise<void> {
    if (this.#child) await this.stop();
    await this.#spawnWithRetry();
  }

  /**
   * Fast shutdown (SIGINT: sessions are cut, a checkpoint is written), resolving when the
   * postmaster has exited; SIGKILL after 30 s. Idempotent.
   */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      const timer = setTimeout(() => this.kill(), STOP_TIMEOUT_MS);
      await this.#exited;
      clearTimeout(timer);
    } else {
      await this.#exited;
    }
    this.#child = undefined;
  }

  /** Starts postmaster; retries while a killed predecessor still holds the lock file or memory. */
  async #spawnWithRetry(): Promise<void> {
    await this.#exited;
    await waitForOldPostmaster(path.join(this.dataDir, 'pgdata', 'postmaster.pid'));
    // A SIGKILLed process is gone within milliseconds; a live postmaster on this directory is not.
    const deadline = Date.now() + 3000;
    for (;;) {
      try {
        await this.#spawn();
        return;
      } catch (e) {
        const message = (e as Error).message;
        const transient = /pre-existing shared memory block|lock file .* already exists/.test(message);
        if (!transient || Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  async #spawn(): Promise<void> {
    const logFile = path.join(this.dataDir, 'postgres.log');
    const logStart = await stat(logFile).then((s) => s.size, () => 0);
    const logFd = openSync(logFile, 'a', 0o600);
    let child: ChildProcess;
    try {
      child = spawn(
        path.join(this.binDir, 'postgres'),
        [
          '-D', path.join(this.dataDir, 'pgdata'),
          '-p', String(this.port),
          '-c', 'listen_addresses=127.0.0.1',
          // No Unix socket: TCP on loopback with scram only, nothing to reach in the file system.
          '-c', 'unix_socket_directories=',
          '-c', 'fsync=on',
          '-c', 'synchronous_commit=on',
          '-c', 'full_page_writes=on',
          '-c', 'logging_collector=off',
        ],
        { cwd: this.dataDir, stdio: ['ignore', logFd, logFd], ...this.#runAs },
      );
    } finally {
      closeSync(logFd);
    }
    this.#child = child;
    this.#exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    const failed = new Promise<never>((_, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        void logTail(logFile, logStart).then((tail) =>
          reject(new Error(`postgres exited (${code ?? signal}) before it was ready; ${logFile}:\n${tail}`)),
        );
      });
    });
    failed.catch(() => undefined);
    try {
      await Promise.race([this.#waitReady(child, failed), failed]);
    } catch (e) {
      this.kill();
      await this.#exited;
      this.#child = undefined;
      throw e;
    }
  }

  /** Polls with a real query until it answers, then creates database rvw when missing. */
  async #waitReady(child: ChildProcess, failed: Promise<never>): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let lastError = '';
    for (;;) {
      // Exited: `failed` rejects with the log's tail.
      if (child.exitCode !== null || child.signalCode !== null) await failed;
      const client = new pg.Client({
        host: '127.0.0.1',
        port: this.port,
        user: USER,
        password: this.#password,
        database: 'postgres',
        connectionTimeoutMillis: 2000,
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
        if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE}`);
        return;
      } catch (e) {
        lastError = (e as Error).message;
        // The database being created by a concurrent start is as good as created.
        if (/already exists/.test(lastError)) return;
      } finally {
        await client.end().catch(() => undefined);
      }
      if (Date.now() > deadline) {
        throw new Error(`postgres on port ${this.port} did not answer within ${READY_TIMEOUT_MS} ms: ${lastError}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Debian's /usr/lib/postgresql/<N>/bin: version N when given, else the highest installed. */
function findBinDir(version: string | undefined): string {
  const installed = (existsSync(DEBIAN_ROOT) ? readdirSync(DEBIAN_ROOT) : [])
    .filter((v) => /^\d+$/.test(v) && existsSync(path.join(DEBIAN_ROOT, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  if (version !== undefined) {
    if (installed.includes(version)) return path.join(DEBIAN_ROOT, version, 'bin');
    throw new Error(
      `the cluster is PostgreSQL ${version} but ${DEBIAN_ROOT}/${version}/bin/postgres is not installed` +
        ` (found: ${installed.join(', ') || 'none'}); install postgresql-${version} or pass binDir`,
    );
  }
  const highest = installed[0];
  if (highest === undefined) {
    throw new Error(`no PostgreSQL server found (${DEBIAN_ROOT}/<N>/bin/postgres): run infra/install.sh (Debian package postgresql)`);
  }
  return path.join(DEBIAN_ROOT, highest, 'bin');
}

/** As root, Debian's `postgres` system user (PostgreSQL refuses to run as root); else undefined. */
function postgresUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    if (Number.isInteger(uid) && Number.isInteger(gid) && uid > 0) return { uid, gid };
  } catch {
    // reported below
  }
  throw new Error("running as root, and PostgreSQL refuses root, but there is no 'postgres' system user: install Debian's postgresql package (infra/install.sh)");
}

/** Where clusters go when the postgres user cannot reach the data directory asked for (Debian's postgres home). */
const RELOCATED_ROOT = '/var/lib/postgresql/rvw';

/**
 * The directory the cluster lives in when run as `runAs`: `asked` itself when that user can reach
 * it; otherwise (a data directory under root's 0700 home, say) a directory of its own under
 * {@link RELOCATED_ROOT}, named after `asked` so every start finds the same one, with a note in
 * `asked` saying where it went. Loosening the permissions of someone's home is not ours to do.
 */
async function reachableHome(asked: string, runAs: RunAs): Promise<string> {
  if (spawnSync('/usr/bin/test', ['-x', path.dirname(asked)], { uid: runAs.uid, gid: runAs.gid }).status === 0) return asked;
  const home = path.join(RELOCATED_ROOT, createHash('sha256').update(asked).digest('hex').slice(0, 16));
  await mkdir(home, { recursive: true });
  await writeFile(
    path.join(asked, 'LOCATION.txt'),
    `The PostgreSQL cluster of this data directory is in ${home}:\nthe postgres user cannot reach ${asked} (a parent directory is not traversable).\n`,
  );
  return home;
}

/**
 * Gives dataDir (recursively, only what is not theirs yet) to the postgres user and checks that
 * user can reach it: every parent must be traversable (a 0700 home directory is not).
 */
async function handOver(dataDir: string, runAs: RunAs): Promise<void> {
  await chownTree(dataDir, runAs);
  await chmod(dataDir, 0o700);
  const probe = spawnSync('/usr/bin/test', ['-w', dataDir], { uid: runAs.uid, gid: runAs.gid });
  if (probe.status !== 0) {
    throw new Error(
      `the postgres user (uid ${runAs.uid}) cannot reach ${dataDir}: make its parent directories traversable (chmod o+x) or choose another data directory`,
    );
  }
}

async function chownTree(target: string, runAs: RunAs): Promise<void> {
  const s = await lstat(target);
  if (s.uid !== runAs.uid || s.gid !== runAs.gid) await chown(target, runAs.uid, runAs.gid);
  if (!s.isDirectory()) return;
  for (const entry of await readdir(target)) await chownTree(path.join(target, entry), runAs);
}

async function initdb(binDir: string, pgdata: string, passwordFile: string, runAs: RunAs | undefined): Promise<void> {
  const args = [
    '-D', pgdata,
    '--auth=scram-sha-256',
    `--username=${USER}`,
    `--pwfile=${passwordFile}`,
    '--encoding=UTF8',
    '--locale=C.UTF-8',
  ];
  const child = spawn(path.join(binDir, 'initdb'), args, { cwd: path.dirname(pgdata), stdio: ['ignore', 'pipe', 'pipe'], ...runAs });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c) => resolve(c));
  });
  if (code !== 0) throw new Error(`initdb ${pgdata} failed (exit ${code}):\n${output.trim().split('\n').slice(-20).join('\n')}`);
}

/** Children of pid, from /proc (Linux). */
function childPids(pid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const s = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …; comm may contain spaces and parentheses.
      const ppid = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Alive and not a zombie. */
function running(pid: number): boolean {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** A killed postmaster may take a moment to go; its lock file stays (postgres handles that). */
async function waitForOldPostmaster(lockFile: string, timeoutMs = 3000): Promise<void> {
  const pid = Number((await readFile(lockFile, 'utf8').catch(() => '')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  const deadline = Date.now() + timeoutMs;
  while (running(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

async function logTail(file: string, from: number, max = 4000): Promise<string> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return '(no log)';
  try {
    const { size } = await handle.stat();
    const start = Math.max(from, size - max);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    return buffer.toString('utf8').trim() || '(empty log)';
  } finally {
    await handle.close();
  }
}
