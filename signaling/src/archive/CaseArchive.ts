import pg from 'pg';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import type { ArchivedCases, StoredCase } from '../cases/CaseStore.js';

// The case archive in PostgreSQL. Every case is copied here from Redis by the archive feeder
// (archive/ArchiveFeeder) shortly after each change; a finished case then leaves Redis
// (archive/pruneLiveCases) and is read from here: years of cases, searched by the 办件档案 with
// indexes instead of scans. `live` says whether Redis still holds the case too.
//
// `id` and `number` compare bytewise (COLLATE "C"), as the archive's order and cursor do in
// TypeScript; `created_ms` is createdAt in epoch ms, the order of the archive, exact (no float
// timestamps in a cursor). Audit entries keep their canonical JSON text exactly as hashed, so the
// chain verifies from here just as it did from Redis.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS archived_cases (
  id text COLLATE "C" PRIMARY KEY,
  partnership_id text NOT NULL,
  number text COLLATE "C",
  state text NOT NULL,
  item_code text NOT NULL,
  hall_id text NOT NULL,
  clerk_id text,
  created_ms bigint NOT NULL,
  finished_ms bigint,
  holds_open boolean NOT NULL,
  version integer NOT NULL,
  live boolean NOT NULL,
  record jsonb NOT NULL,
  archived_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS archived_cases_newest ON archived_cases (partnership_id, created_ms DESC, id DESC);
CREATE INDEX IF NOT EXISTS archived_cases_number ON archived_cases (number);
CREATE INDEX IF NOT EXISTS archived_cases_leaving ON archived_cases (finished_ms) WHERE live AND finished_ms IS NOT NULL AND NOT holds_open;
CREATE TABLE IF NOT EXISTS archived_events (
  case_id text COLLATE "C" NOT NULL REFERENCES archived_cases (id),
  seq integer NOT NULL,
  hash text NOT NULL,
  event text NOT NULL,
  PRIMARY KEY (case_id, seq)
);
`;

const FINISHED = new Set(['completed', 'rejected', 'abandoned']);

/** A search of the archive as the 办件档案 asks it (scope and filters already decided by the use case). */
export interface ArchiveQuery {
  partnershipIds: readonly string[];
  /** createdAt window in epoch ms, both ends included. */
  fromMs?: number;
  toMs?: number;
  state?: string;
  itemCode?: string;
  hallId?: string;
  clerkId?: string;
  /** Only cases after this position in the archive's order (newest first, then id descending). */
  after?: { at: number; id: string };
  limit: number;
}

/** A case that may leave Redis: the version the archive holds of it. */
export interface LeavingCase {
  id: string;
  version: number;
}

/**
 * The PostgreSQL side of the case archive: copies cases in (idempotently, never going back to
 * an older version), answers the archive's searches, and serves the cases Redis no longer holds.
 */
export class CaseArchive implements ArchivedCases {
  readonly #pool: pg.Pool;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** Connects (a small pool) and creates the tables if they are missing. */
  static async connect(opts: { url: string; maxConnections?: number }): Promise<CaseArchive> {
    const pool = new pg.Pool({ connectionString: opts.url, max: opts.maxConnections ?? 4 });
    // An idle client's error (the server restarted) must not crash the node; the next query reconnects.
    pool.on('error', () => undefined);
    const archive = new CaseArchive(pool);
    try {
      await pool.query(SCHEMA);
    } catch (e) {
      await pool.end();
      throw e;
    }
    return archive;
  }

  /**
   * Copies the given cases in one transaction: each record replaces the archived one only if it
   * is newer (or the archive had it as gone from Redis: it is live again), and the audit entries
   * not yet archived are added. Safe to repeat: a redelivered or reordered copy changes nothing.
   */
  async store(cases: readonly StoredCase[]): Promise<void> {
    if (cases.length === 0) return;
    const client = await this.#pool.connect();
    // A connection lost mid-transaction (the server went down) rejects the query below; without a
    // listener the client's own 'error' event would also be thrown from the event loop.
    const ignore = () => undefined;
    client.on('error', ignore);
    let failed: Error | undefined;
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ id: string; version: number }>('SELECT id, version FROM archived_cases WHERE id = ANY($1::text[]) FOR UPDATE', [cases.map((c) => c.record.id)]);
      const had = new Map(rows.map((r) => [r.id, r.version]));
      for (const { record } of cases) {
        await client.query(
          `INSERT INTO archived_cases (id, partnership_id, number, state, item_code, hall_id, clerk_id, created_ms, finished_ms, holds_open, version, live, record)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, true, $12)
           ON CONFLICT (id) DO UPDATE SET
             number = EXCLUDED.number, state = EXCLUDED.state, clerk_id = EXCLUDED.clerk_id, finished_ms = EXCLUDED.finished_ms,
             holds_open = EXCLUDED.holds_open, version = EXCLUDED.version, live = true, record = EXCLUDED.record, archived_at = now()
           WHERE archived_cases.version < EXCLUDED.version OR NOT archived_cases.live`,
          [
            record.id,
            record.partnershipId,
            record.number ?? null,
            record.state,
            record.itemCode,
            record.hallId,
            record.clerkId ?? null,
            Date.parse(record.createdAt),
            finishedAt(record),
            holdsOpen(record),
            record.version,
            JSON.stringify(record),
          ],
        );
      }
      const events = cases.flatMap(({ record, entries }) => entries.filter((e) => e.seq > (had.get(record.id) ?? 0)).map((e) => ({ ...e, caseId: record.id })));
      if (events.length > 0) {
        await client.query(
          `INSERT INTO archived_events (case_id, seq, hash, event)
           SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING`,
          [events.map((e) => e.caseId), events.map((e) => e.seq), events.map((e) => e.hash), events.map((e) => e.event)],
        );
      }
      await client.query('COMMIT');
    } catch (e) {
      failed = e as Error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.off('error', ignore);
      // A client that failed is discarded, not returned to the pool in an unknown state.
      client.release(failed);
    }
  }

  /** The archived record, or undefined. */
  async record(id: string): Promise<CaseRecord | undefined> {
    const { rows } = await this.#pool.query<{ record: CaseRecord }>('SELECT record FROM archived_cases WHERE id = $1', [id]);
    return rows[0]?.record;
  }

  /** The archived record with its audit entries in order, read in one snapshot; undefined if not archived. */
  async history(id: string): Promise<StoredCase | undefined> {
    const { rows } = await this.#pool.query<{ record: CaseRecord; entries: { seq: number; hash: string; event: string }[] | null }>(
      `SELECT c.record, (SELECT json_agg(json_build_object('seq', e.seq, 'hash', e.hash, 'event', e.event) ORDER BY e.seq)
                         FROM archived_events e WHERE e.case_id = c.id) AS entries
       FROM archived_cases c WHERE c.id = $1`,
      [id],
    );
    const row = rows[0];
    return row ? { record: row.record, entries: row.entries ?? [] } : undefined;
  }

  /** The records of one case number within the partnerships (one, or none). */
  async byNumber(number: string, partnershipIds: readonly string[]): Promise<CaseRecord[]> {
    const { rows } = await this.#pool.query<{ record: CaseRecord }>('SELECT record FROM archived_cases WHERE number = $1 AND partnership_id = ANY($2::text[]) LIMIT 2', [number, partnershipIds]);
    return rows.map((r) => r.record);
  }

  /** Up to `limit` records matching the query, newest first (ties by id descending). */
  async search(q: ArchiveQuery): Promise<CaseRecord[]> {
    const where = ['partnership_id = ANY($1::text[])'];
    const params: unknown[] = [q.partnershipIds];
    const add = (sql: (n: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (q.fromMs !== undefined) add((p) => `created_ms >= ${p}`, q.fromMs);
    if (q.toMs !== undefined) add((p) => `created_ms <= ${p}`, q.toMs);
    if (q.state !== undefined) add((p) => `state = ${p}`, q.state);
    if (q.itemCode !== undefined) add((p) => `item_code = ${p}`, q.itemCode);
    if (q.hallId !== undefined) add((p) => `hall_id = ${p}`, q.hallId);
    if (q.clerkId !== undefined) add((p) => `clerk_id = ${p}`, q.clerkId);
    if (q.after) {
      params.push(q.after.at, q.after.id);
      where.push(`(created_ms, id) < ($${params.length - 1}, $${params.length})`);
    }
    params.push(q.limit);
    const { rows } = await this.#pool.query<{ record: CaseRecord }>(
      `SELECT record FROM archived_cases WHERE ${where.join(' AND ')} ORDER BY created_ms DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map((r) => r.record);
  }

  /**
   * Cases Redis may let go: finished before `finishedBefore` (epoch ms), nothing left open on
   * them (a 容缺 material still owed, a 差评 without its 整改), and still live; oldest first.
   */
  async leaving(finishedBefore: number, limit: number): Promise<LeavingCase[]> {
    const { rows } = await this.#pool.query<{ id: string; version: number }>(
      'SELECT id, version FROM archived_cases WHERE live AND finished_ms IS NOT NULL AND NOT holds_open AND finished_ms < $1 ORDER BY finished_ms LIMIT $2',
      [finishedBefore, limit],
    );
    return rows;
  }

  /** Records that Redis no longer holds the case at `version` (it left, or was found gone). */
  async markGone(id: string, version: number): Promise<void> {
    await this.#pool.query('UPDATE archived_cases SET live = false WHERE id = $1 AND version = $2', [id, version]);
  }

  /** Every archived record that only the archive holds (for rebuilding figures), in batches. */
  async *archivedOnly(batch = 500): AsyncGenerator<CaseRecord[]> {
    let after = '';
    for (;;) {
      const { rows } = await this.#pool.query<{ id: string; record: CaseRecord }>('SELECT id, record FROM archived_cases WHERE NOT live AND id > $1 ORDER BY id LIMIT $2', [after, batch]);
      if (rows.length === 0) return;
      yield rows.map((r) => r.record);
      after = rows[rows.length - 1]!.id;
    }
  }

  /** Counts, for /metrics and the tests: cases archived, and of them those only the archive holds. */
  async counts(): Promise<{ cases: number; archivedOnly: number }> {
    const { rows } = await this.#pool.query<{ cases: string; gone: string }>('SELECT count(*) AS cases, count(*) FILTER (WHERE NOT live) AS gone FROM archived_cases');
    return { cases: Number(rows[0]?.cases ?? 0), archivedOnly: Number(rows[0]?.gone ?? 0) };
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

/** When a finished case finished (epoch ms), or null while it is not finished. */
function finishedAt(r: CaseRecord): number | null {
  return FINISHED.has(r.state) ? Date.parse(r.closedAt ?? r.updatedAt) : null;
}

/** Work still open on a finished case keeps it live: a waived (容缺) material owed, a 差评 not yet followed up. */
function holdsOpen(r: CaseRecord): boolean {
  const owed = r.state === 'completed' && r.checklist.some((l) => l.status === 'waived');
  const poor = Object.values(r.ratings).some((rating) => rating !== undefined && rating.score <= 2 && !rating.followUp);
  return owed || poor;
}
