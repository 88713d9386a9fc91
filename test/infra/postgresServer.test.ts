import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresServer } from '@rvw/infra/postgres/PostgresServer';
import { startTestPostgres, type TestPostgres } from '../harness/postgres';

/** The real uid of a live process, or undefined when it is gone (or a zombie). */
function uidOf(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    if (/^State:\s+Z/m.test(status)) return undefined;
    return Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
  } catch {
    return undefined;
  }
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

// The private PostgreSQL the start scripts and tests run (Debian's postgresql, own cluster in a
// temp dir): real queries, never as root, a committed row survives SIGKILL, stop leaves nothing.
describe('PostgresServer', () => {
  let pgsql: TestPostgres;
  beforeAll(async () => {
    pgsql = await startTestPostgres();
  });
  afterAll(async () => {
    await pgsql?.dispose();
  });

  it('serves database rvw on loopback, with password auth only', async () => {
    const { server, url } = pgsql;
    expect(url).toMatch(new RegExp(`^postgres://rvw:[0-9a-f]{48}@127\\.0\\.0\\.1:${server.port}/rvw$`));
    const row = await withClient(url, async (c) => {
      await c.query('CREATE TABLE archive_probe (id int PRIMARY KEY, note text NOT NULL)');
      await c.query('INSERT INTO archive_probe VALUES ($1, $2)', [1, '跨域通办']);
      return (await c.query('SELECT note, current_database() AS db, current_setting($1) AS fsync FROM archive_probe WHERE id = 1', ['fsync'])).rows[0];
    });
    expect(row).toEqual({ note: '跨域通办', db: 'rvw', fsync: 'on' });
    const wrong = new URL(url);
    wrong.password = 'not-the-password';
    await expect(withClient(wrong.toString(), (c) => c.query('SELECT 1'))).rejects.toThrow(/password authentication failed/);
  });

  it('runs as the postgres system user when the tests run as root, else as the current user', async () => {
    const { server, url } = pgsql;
    const dataDirectory = await withClient(url, async (c) => (await c.query<{ d: string }>("SELECT current_setting('data_directory') AS d")).rows[0]!.d);
    expect(dataDirectory).toBe(`${server.dataDir}/pgdata`);
    const expected = process.getuid!() === 0 ? Number(readFileSync('/etc/passwd', 'utf8').match(/^postgres:[^:]*:(\d+):/m)?.[1]) : process.getuid!();
    expect(expected).toBeGreaterThan(0);
    expect(uidOf(server.pid!)).toBe(expected);
    expect(statSync(dataDirectory).uid).toBe(expected);
    expect(statSync(dataDirectory).mode & 0o777).toBe(0o700);
  });

  it('keeps a committed row across SIGKILL and a start on the same data directory', async () => {
    const { server, url } = pgsql;
    await withClient(url, (c) => c.query('INSERT INTO archive_probe VALUES ($1, $2)', [2, 'committed before the crash']));
    const oldPid = server.pid!;
    server.kill();
    await expect.poll(() => uidOf(oldPid)).toBeUndefined();
    await expect(withClient(url, (c) => c.query('SELECT 1'))).rejects.toThrow();

    await server.restart();
    expect(server.pid).not.toBe(oldPid);
    const notes = await withClient(url, async (c) => (await c.query<{ note: string }>('SELECT note FROM archive_probe ORDER BY id')).rows.map((r) => r.note));
    expect(notes).toEqual(['跨域通办', 'committed before the crash']);
    expect(readFileSync(`${server.dataDir}/postgres.log`, 'utf8')).toMatch(/database system was interrupted|not properly shut down/);
  });

  it('stops with no postgres process left, and a new start on the directory reuses its cluster', async () => {
    const { server, url } = pgsql;
    const pid = server.pid!;
    // A session left open: fast shutdown ends it rather than waiting for it.
    const open = new pg.Client({ connectionString: url });
    open.on('error', () => undefined);
    await open.connect();
    const backend = (await open.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const children = childrenOf(pid);
    expect(children).toContain(backend);
    expect(children.length).toBeGreaterThanOrEqual(4); // checkpointer, background writer, walwriter, … and the session
    await server.stop();
    await open.end().catch(() => undefined);
    expect(uidOf(pid)).toBeUndefined();
    expect(children.filter((c) => uidOf(c) !== undefined)).toEqual([]);
    await expect(withClient(url, (c) => c.query('SELECT 1'))).rejects.toThrow();

    const again = await PostgresServer.start({ dataDir: server.dataDir });
    const againPid = again.pid!;
    try {
      expect(again.url.split('@')[0]).toBe(url.split('@')[0]);
      const count = await withClient(again.url, async (c) => (await c.query<{ n: string }>('SELECT count(*) AS n FROM archive_probe')).rows[0]!.n);
      expect(count).toBe('2');
    } finally {
      await again.stop();
    }
    expect(uidOf(againPid)).toBeUndefined();
  });
});

/** Processes whose parent is pid (from /proc). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        const s = readFileSync(`/proc/${e}/stat`, 'utf8');
        return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe.runIf(process.getuid?.() === 0)('PostgresServer, as root, under a directory the postgres user cannot reach', () => {
  it('puts the cluster under /var/lib/postgresql/rvw, the same one at every start, and says so in the data directory', async () => {
    const parent = await mkdtemp(path.join(os.tmpdir(), 'rvw-pg-private-'));
    expect(statSync(parent).mode & 0o777).toBe(0o700);
    const asked = path.join(parent, 'postgres');
    let home: string | undefined;
    try {
      const first = await PostgresServer.start({ dataDir: asked });
      home = first.dataDir;
      expect(home.startsWith('/var/lib/postgresql/rvw/')).toBe(true);
      expect(readFileSync(path.join(asked, 'LOCATION.txt'), 'utf8')).toContain(home);
      await withClient(first.url, (c) => c.query('CREATE TABLE kept (v text); INSERT INTO kept VALUES ($$霍邱$$)'));
      await first.stop();
      // The parent was left as it was: nobody's home was opened up.
      expect(statSync(parent).mode & 0o777).toBe(0o700);
      const again = await PostgresServer.start({ dataDir: asked });
      try {
        expect(again.dataDir).toBe(home);
        expect((await withClient(again.url, (c) => c.query<{ v: string }>('SELECT v FROM kept'))).rows).toEqual([{ v: '霍邱' }]);
      } finally {
        await again.stop();
      }
    } finally {
      if (home) await rm(home, { recursive: true, force: true });
      await rm(parent, { recursive: true, force: true });
    }
  });
});
