import { setTimeout as sleep } from 'node:timers/promises';
import { GENESIS_HASH, type AuditActor, type AuditEvent } from '../audit/AuditEvent.js';
import { canonicalJson } from '../audit/canonicalJson.js';
import { hashAuditEvent } from '../audit/hashAuditEvent.js';
import { RedisScript } from '../catalog/RedisScript.js';
import { AppError } from '../errors/AppError.js';
import { ReplicaAck } from '../store/ReplicaAck.js';
import type { RedisClient } from '../store/redisClient.js';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import { FINAL_CASE_STATES } from '@rvw/protocol/vocabulary';
import { aggregateDelta, caseContributions, statsSignature, statsView, type Contributions } from '../stats/caseContributions.js';
import { redactPersonalData } from './redactPersonalData.js';

// `case:{<id>}` is a hash {version, doc}; the literal braces make it and its event stream
// `case:{<id>}:events` share a Redis Cluster slot. `version` mirrors the JSON in `doc` so the
// script can compare versions without decoding the document.
//
// The compare-and-set: the new document, its audit event and an optional queue membership change
// are applied together or not at all. A Lua script is atomic, and under `appendfsync always` its
// effects reach the AOF as one MULTI/EXEC block, so even kill -9 cannot separate a record change
// from its audit event. The statistics move with the record in the same script (see
// stats/caseContributions): a figure never counts a change that was not made, nor misses one that
// was. Replies {1, newVersion} or {0, currentVersion}.
const COMMIT = new RedisScript(`
local cur = redis.call('HGET', KEYS[1], 'version')
local curv = 0
if cur then curv = tonumber(cur) end
if curv ~= tonumber(ARGV[1]) then
  return {0, curv}
end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'doc', ARGV[3])
redis.call('XADD', KEYS[2], '*', 'seq', ARGV[2], 'hash', ARGV[4], 'event', ARGV[5])
if ARGV[6] == 'add' then
  redis.call('ZADD', KEYS[3], ARGV[8], ARGV[7])
elseif ARGV[6] == 'remove' then
  redis.call('ZREM', KEYS[3], ARGV[7])
end
if redis.call('EXISTS', KEYS[4]) == 1 then
  redis.call('XADD', KEYS[4], '*', 'case', ARGV[10], 'version', ARGV[2])
end
if ARGV[11] == 'drop' then
  redis.call('DEL', KEYS[5])
elseif ARGV[11] ~= '' then
  redis.call('SET', KEYS[5], ARGV[11], 'EX', ARGV[12])
end
if ARGV[9] ~= '' then
  for _, o in ipairs(cjson.decode(ARGV[9])) do
    local key = KEYS[o[2]]
    if o[1] == 'h' then
      if redis.call('HINCRBY', key, o[3], o[4]) == 0 then redis.call('HDEL', key, o[3]) end
    elseif o[1] == 'z' then
      redis.call('ZADD', key, o[4], o[3])
    else
      redis.call('ZREM', key, o[3])
    end
  end
end
return {1, tonumber(ARGV[2])}
`);

// Takes a case out of Redis once the archive holds exactly this version of it (pruneLiveCases):
// a change in between (a late rating, a reprint) makes the version differ, and the case stays.
const EVICT = new RedisScript(`
local v = redis.call('HGET', KEYS[1], 'version')
if not v then return -1 end
if v ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
`);

// Brings an archived case back into Redis before it changes again: its record and its audit
// entries in order, all or nothing, and only if no other writer brought it back first. The
// outbox entry tells the archive the case is live again (even if the change then is refused).
const RESTORE = new RedisScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[2])
for i = 4, #ARGV, 3 do
  redis.call('XADD', KEYS[2], '*', 'seq', ARGV[i], 'hash', ARGV[i + 1], 'event', ARGV[i + 2])
end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'doc', ARGV[2])
if redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('XADD', KEYS[3], '*', 'case', ARGV[3], 'version', ARGV[1])
end
return 1
`);

/**
 * The stream every case commit appends `{case, version}` to, once it exists: the archive feeder
 * creates it (with its consumer group) and so switches the outbox on for every writer of this Redis.
 */
export const ARCHIVE_OUTBOX_KEY = 'archive:outbox';

/** One audit event as stored: its seq, hash and canonical JSON body, exactly as hashed. */
export interface StoredAuditEntry {
  seq: number;
  hash: string;
  event: string;
}

/** A case as a whole: the record and its audit entries in order (what the archive copies). */
export interface StoredCase {
  record: CaseRecord;
  entries: StoredAuditEntry[];
}

/**
 * Where cases that left Redis are found (the PostgreSQL archive, archive/CaseArchive): read-only
 * here; a change to such a case brings it back into Redis first.
 */
export interface ArchivedCases {
  record(id: string): Promise<CaseRecord | undefined>;
  history(id: string): Promise<StoredCase | undefined>;
}

// Server-side updates (no client version) retry this often before giving up with a conflict.
const MAX_ATTEMPTS = 50;

/** What one change of a case means: its audit event, and a queue membership changed in the same step. */
export interface CaseChange {
  actor: AuditActor;
  /** Audit action, e.g. `fields.updated`. */
  action: string;
  /** Audit data; ID and mobile numbers inside are masked before hashing. */
  data: Record<string, unknown>;
  /** Add the case to / remove it from a sorted set (its queue) atomically with the change. */
  queue?: { key: string; op: 'add' | 'remove'; score?: number };
  /**
   * The ID card's chip photo read at the counter (人证核验), kept beside the record — never in it
   * nor in the audit chain — until the case closes: the commit that closes a case deletes it.
   */
  chipPhoto?: StoredChipPhoto;
}

/** A chip photo as kept beside its case. */
export interface StoredChipPhoto {
  photoBase64: string;
  sample: boolean;
  readAt: string;
}

// A chip photo outlives no case: deleted by the commit that closes it, and in any case after a
// day (a case left open over a node's loss, say); the clerk compares it during the call.
const CHIP_PHOTO_TTL_SECONDS = 24 * 3600;

/** A new case as a use case builds it; the store fills in version, timestamps and the chain head. */
export type NewCase = Omit<CaseRecord, 'version' | 'createdAt' | 'updatedAt' | 'lastEventHash'>;

/**
 * The repository of case records on Redis. Every write is a compare-and-set on the record version
 * that appends the matching hash-chained audit event in the same atomic script; the loser of a
 * race gets CASE_VERSION_CONFLICT (409) with `details.currentVersion`.
 */
export class CaseStore {
  readonly #redis: RedisClient;
  readonly #clock: () => Date;
  readonly #ack: ReplicaAck;
  readonly #aggregates: boolean;
  readonly #archive: ArchivedCases | undefined;

  private constructor(redis: RedisClient, clock: () => Date, ack: ReplicaAck, aggregates: boolean, archive: ArchivedCases | undefined) {
    this.#redis = redis;
    this.#clock = clock;
    this.#ack = ack;
    this.#aggregates = aggregates;
    this.#archive = archive;
  }

  /**
   * Creates a store over a connected client (the caller owns the client); `clock` stamps changes;
   * `replicaAck` makes every commit wait until replicas hold it (none by default); `aggregates:
   * false` leaves the statistics alone (only for measuring what keeping them costs: bench:stats);
   * `archive` is where cases no longer in Redis are read from (and brought back from to change).
   */
  static async create(opts: { redis: RedisClient; clock?: () => Date; replicaAck?: ReplicaAck; aggregates?: boolean; archive?: ArchivedCases }): Promise<CaseStore> {
    return new CaseStore(opts.redis, opts.clock ?? (() => new Date()), opts.replicaAck ?? ReplicaAck.none(), opts.aggregates ?? true, opts.archive);
  }

  /** The record (live in Redis, else from the archive), or undefined. */
  async get(id: string): Promise<CaseRecord | undefined> {
    const doc = await this.#redis.hGet(caseKey(id), 'doc');
    // Written only by #commit from records the use cases built and validated, so trusted as-is.
    if (doc !== null && doc !== undefined) return JSON.parse(doc) as CaseRecord;
    return this.#archive?.record(id);
  }


  /** The record; refuses CASE_NOT_FOUND (404) when absent. */
  async require(id: string): Promise<CaseRecord> {
    const record = await this.get(id);
    if (!record) throw caseNotFound(id);
    return record;
  }

  /** Several records at once (one pipelined round trip); undefined where absent. */
  getMany(ids: readonly string[]): Promise<(CaseRecord | undefined)[]> {
    return Promise.all(ids.map((id) => this.get(id)));
  }

  /** Stores a new case at version 1 with its first audit event (and queue entry, if given). */
  async insert(fresh: NewCase, change: CaseChange): Promise<CaseRecord> {
    const now = this.#clock().toISOString();
    const record: CaseRecord = { ...fresh, version: 1, createdAt: now, updatedAt: now, lastEventHash: GENESIS_HASH };
    const outcome = await this.#commit(0, GENESIS_HASH, undefined, record, change);
    if (!outcome.ok) throw new AppError('CASE_DUPLICATE', `案件 ${fresh.id} 已存在`, 409, { caseId: fresh.id });
    return record;
  }

  /**
   * Applies `mutate` to the current record (a private copy) and commits it as the next version.
   * With `expectedVersion` (a client's edit) a stale version is refused at once with
   * CASE_VERSION_CONFLICT; without it (server-side changes such as a chat line) a lost race is
   * retried on the fresh record. `mutate` may throw an AppError to refuse; nothing is written then.
   */
  async update(
    id: string,
    mutate: (draft: CaseRecord) => CaseChange | Promise<CaseChange>,
    opts: { expectedVersion?: number } = {},
  ): Promise<CaseRecord> {
    for (let attempt = 1; ; attempt++) {
      // Freshly parsed from Redis on every attempt, so it can serve as the draft without a copy.
      const doc = await this.#redis.hGet(caseKey(id), 'doc');
      if (doc === null || doc === undefined) {
        // Only the archive holds it: back into Redis first, then changed like any live case.
        if (attempt < MAX_ATTEMPTS && (await this.#restore(id))) continue;
        throw caseNotFound(id);
      }
      const draft = JSON.parse(doc) as CaseRecord;
      // Most changes (chat, fields, materials) leave what the record counts for in the statistics
      // alone: compared by signature, and only a change of it costs the delta (from a copy of what counted, taken first).
      const before = this.#aggregates ? statsView(draft) : undefined;
      const signature = before ? statsSignature(before) : undefined;
      const { version, lastEventHash } = draft;
      if (opts.expectedVersion !== undefined && version !== opts.expectedVersion) {
        throw versionConflict(id, version, opts.expectedVersion);
      }
      const change = await mutate(draft);
      const next: CaseRecord = { ...draft, id, version: version + 1, updatedAt: this.#clock().toISOString() };
      const counts = signature !== undefined && statsSignature(next) !== signature;
      const outcome = await this.#commit(version, lastEventHash, counts && before ? caseContributions(before) : null, next, change);
      if (outcome.ok) return next;
      // Gone since the read: moved to the archive in between (read again, from there), or deleted.
      if (outcome.currentVersion === 0 && (!this.#archive || attempt >= MAX_ATTEMPTS)) throw caseNotFound(id);
      if (opts.expectedVersion !== undefined || attempt >= MAX_ATTEMPTS) {
        throw versionConflict(id, outcome.currentVersion, version);
      }
      // Two writers on one case rarely collide twice; spread them out only if they keep colliding.
      if (attempt > 2) await sleep(Math.random() * attempt);
    }
  }

  /**
   * The record and its audit events in stream order, read in one MULTI so they are consistent
   * with each other (for verifyAuditChain and the audit view) — from the archive once the case
   * left Redis; refuses CASE_NOT_FOUND.
   */
  async history(id: string): Promise<{ record: CaseRecord; events: AuditEvent[] }> {
    const stored = (await this.snapshot(id)) ?? (await this.#archive?.history(id));
    if (!stored) throw caseNotFound(id);
    return { record: stored.record, events: stored.entries.map((e) => parseEntry(id, e.hash, e.event)) };
  }

  /**
   * What Redis holds of a case, as stored (the record and its raw audit entries, read in one
   * MULTI), or undefined when it is not live: what the archive feeder copies.
   */
  async snapshot(id: string): Promise<StoredCase | undefined> {
    const [doc, entries] = (await this.#redis.multi().hGet(caseKey(id), 'doc').xRange(eventsKey(id), '-', '+').exec()) as unknown as [
      string | null,
      { id: string; message: Record<string, string> }[] | null,
    ];
    if (doc === null) return undefined;
    const record = JSON.parse(doc) as CaseRecord;
    return { record, entries: (entries ?? []).map(({ message }) => ({ seq: Number(message.seq), hash: message.hash ?? '', event: message.event ?? '' })) };
  }

  /**
   * Removes the case from Redis if it is still at `version` (the archive holds that version):
   * `evicted`; `changed` when Redis has another version (it changed since: it stays); `absent`.
   */
  async evict(id: string, version: number): Promise<'evicted' | 'changed' | 'absent'> {
    const reply = (await this.#ack.write(this.#redis, (connection) => EVICT.run(connection, [caseKey(id), eventsKey(id)], [String(version)]))) as number;
    return reply === 1 ? 'evicted' : reply === 0 ? 'changed' : 'absent';
  }

  /** Brings an archived case back into Redis; true once it is live again (by this call or another). */
  async #restore(id: string): Promise<boolean> {
    const archived = await this.#archive?.history(id);
    if (!archived) return false;
    const args = [String(archived.record.version), JSON.stringify(archived.record), id];
    for (const e of archived.entries) args.push(String(e.seq), e.hash, e.event);
    await this.#ack.write(this.#redis, (connection) => RESTORE.run(connection, [caseKey(id), eventsKey(id), ARCHIVE_OUTBOX_KEY], args));
    return true;
  }

  /** The chip photo read at the counter for a case still open, or undefined (none read, or the case closed). */
  async chipPhoto(id: string): Promise<StoredChipPhoto | undefined> {
    const stored = await this.#redis.get(chipPhotoKey(id));
    return stored ? (JSON.parse(stored) as StoredChipPhoto) : undefined;
  }

  /** The Redis keys of a case (record, events, chip photo), for tools and tests. */
  static keysOf(id: string): { record: string; events: string; chipPhoto: string } {
    return { record: caseKey(id), events: eventsKey(id), chipPhoto: chipPhotoKey(id) };
  }

  async #commit(
    expectedVersion: number,
    prevHash: string,
    before: Contributions | undefined | null,
    next: CaseRecord,
    change: CaseChange,
  ): Promise<{ ok: true } | { ok: false; currentVersion: number }> {
    const body: Omit<AuditEvent, 'hash'> = {
      seq: next.version,
      at: next.updatedAt,
      caseId: next.id,
      actor: change.actor,
      action: change.action,
      data: redactPersonalData(change.data),
      prevHash,
    };
    const hash = hashAuditEvent(body);
    next.lastEventHash = hash;
    const keys = [caseKey(next.id), eventsKey(next.id)];
    const queueArgs = ['none', '', ''];
    // KEYS[3] is the queue (unused without a queue change), KEYS[4] the archive's outbox, KEYS[5]
    // the chip photo; the statistics' keys follow.
    keys.push(change.queue?.key ?? keys[0]!, ARCHIVE_OUTBOX_KEY, chipPhotoKey(next.id));
    const chip = FINAL_CASE_STATES.includes(next.state) ? 'drop' : change.chipPhoto ? JSON.stringify(change.chipPhoto) : '';
    if (change.queue) queueArgs.splice(0, 3, change.queue.op, next.id, String(change.queue.score ?? 0));
    // `null`: nothing the statistics count changed; `undefined`: a new case.
    const ops = this.#aggregates && before !== null ? aggregateDelta(before, next) : [];
    // The figures' changes travel as one JSON argument, each naming its key by index (a case's
    // ops touch a handful of keys many times): far fewer arguments to encode and parse than one
    // KEY and three ARGVs per op.
    const keyIndex = new Map<string, number>();
    const packed: (string | number)[][] = [];
    for (const o of ops) {
      let k = keyIndex.get(o.key);
      if (k === undefined) {
        k = keys.push(o.key);
        keyIndex.set(o.key, k);
      }
      // Numbers as strings: Lua would format a number argument with 14 significant digits.
      packed.push(o.op === 'hincr' ? ['h', k, o.field, String(o.by)] : o.op === 'zadd' ? ['z', k, o.member, String(o.score)] : ['r', k, o.member]);
    }
    const args = [String(expectedVersion), String(next.version), JSON.stringify(next), hash, canonicalJson(body), ...queueArgs, packed.length ? JSON.stringify(packed) : '', next.id, chip, String(CHIP_PHOTO_TTL_SECONDS)];
    // Acknowledged only once the configured replicas hold it (REDIS_NOT_REPLICATED otherwise).
    const reply = (await this.#ack.write(this.#redis, (connection) => COMMIT.run(connection, keys, args))) as [number, number];
    return reply[0] === 1 ? { ok: true } : { ok: false, currentVersion: reply[1] };
  }
}

function caseKey(id: string): string {
  return `case:{${id}}`;
}

function chipPhotoKey(id: string): string {
  return `case:{${id}}:chip`;
}

function eventsKey(id: string): string {
  return `case:{${id}}:events`;
}

/** An audit entry as read back; an unreadable one is tampering too, kept in place so the verifier reports where. */
function parseEntry(caseId: string, hash: string, event: string): AuditEvent {
  try {
    return { ...(JSON.parse(event) as Omit<AuditEvent, 'hash'>), hash };
  } catch {
    return { seq: -1, at: '', caseId, actor: { id: '', role: 'system', region: '' }, action: 'unreadable', data: {}, prevHash: '', hash };
  }
}

function caseNotFound(id: string): AppError {
  return new AppError('CASE_NOT_FOUND', `案件 ${id} 不存在`, 404, { caseId: id });
}

function versionConflict(id: string, currentVersion: number, expectedVersion: number): AppError {
  return new AppError('CASE_VERSION_CONFLICT', '案件已被对方修改，请刷新后在最新版本上重试', 409, { caseId: id, currentVersion, expectedVersion });
}
