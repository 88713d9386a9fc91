import type { CaseRecord } from '@rvw/protocol/caseRecord';
import { DURATION_BUCKETS_S } from '@rvw/protocol/stats';
import { chinaStandardTime } from '../catalog/chinaStandardTime.js';

// What one case adds to the statistics, as a function of the record alone. The case store keeps
// the aggregates current by applying, in the same atomic write as each change, the difference
// between the record's contributions before and after it; a rebuild sums every record's
// contributions. Every time used is one the record keeps (createdAt, acceptedAt, closedAt, a
// rating's at, a waiver's deadline), so a later change never moves a figure to another day.
//
// Redis layout (one partnership's figures together):
// - `stats:day:<partnershipId>:<YYYY-MM-DD>`: hash, the day's totals, field `<metric>` → count
// - `stats:day:<partnershipId>:<YYYY-MM-DD>:<dim>` (dim item, hall, counter, clerk): hash, field
//   `<metric>|<key>` → count, for the counting metrics only (no duration buckets: a breakdown row
//   shows means), and for the clerk only what happened once a clerk held the case
// - `stats:dayver:<partnershipId>`: hash, day → a counter bumped by every write that touched the
//   day's figures (readers cache a day's figures until its counter moves)
// - `stats:poor:<partnershipId>`: sorted set of 差评, `<caseId>|<target>|<item>|<hall>|<counter>|<clerk>`
//   scored by the rating's time; `stats:ratings:<partnershipId>` the same for every rating
// - `clerk:cases:<staffId>`: sorted set of the cases the clerk holds or held, scored by 受理 (ms)
// - `stats:waivers:<partnershipId>`: sorted set of outstanding 容缺 materials,
//   `<caseId>|<materialId>|<item>|<hall>|<counter>|<clerk>` scored by the deadline's end (ms)
//
// The case archive (办件档案) keeps no index here: PostgreSQL searches it (archive/CaseArchive).

/** The dimensions a day's figures are also kept by (a partnership is its own key). */
export const DAY_DIMENSIONS = ['item', 'hall', 'counter', 'clerk'] as const;
/** One of {@link DAY_DIMENSIONS}. */
export type DayDimension = (typeof DAY_DIMENSIONS)[number];

/** The clerk slot of a case nobody has accepted yet. */
export const NO_CLERK = '-';

/** Redis key of one day's totals of a partnership, or of its breakdown by `dim`. */
export function dayKey(partnershipId: string, day: string, dim?: DayDimension): string {
  return dim ? `stats:day:${partnershipId}:${day}:${dim}` : `stats:day:${partnershipId}:${day}`;
}
/** Redis key of a partnership's per-day change counters. */
export function dayVersionKey(partnershipId: string): string {
  return `stats:dayver:${partnershipId}`;
}
/** Redis key of a partnership's 差评. */
export function poorKey(partnershipId: string): string {
  return `stats:poor:${partnershipId}`;
}
/** Redis key of all of a partnership's ratings (the 好差评 export lists them). */
export function ratingsKey(partnershipId: string): string {
  return `stats:ratings:${partnershipId}`;
}
/** Redis key of the cases a clerk accepted (the clerk's history, 我的办件). */
export function clerkCasesKey(staffId: string): string {
  return `clerk:cases:${staffId}`;
}
/** Redis key of a partnership's outstanding 容缺 materials. */
export function waiversKey(partnershipId: string): string {
  return `stats:waivers:${partnershipId}`;
}

/** The bucket (index into DURATION_BUCKETS_S; its length for the open last one) of a duration. */
export function durationBucket(seconds: number): number {
  const i = DURATION_BUCKETS_S.findIndex((bound) => seconds <= bound);
  return i === -1 ? DURATION_BUCKETS_S.length : i;
}

/** A record's contributions: counts per (key, field) and sorted-set members per (key, member) → score. */
export interface Contributions {
  counts: Map<string, number>;
  members: Map<string, number>;
}

/** One change to the aggregates, in the order the commit script applies them. */
export type AggregateOp =
  | { op: 'hincr'; key: string; field: string; by: number }
  | { op: 'zadd'; key: string; member: string; score: number }
  | { op: 'zrem'; key: string; member: string };

const SEP = '\u0000';
// A record's few timestamps come back on every change of it: their days are remembered (bounded).
const days = new Map<string, string>();
const dayOf = (iso: string): string => {
  let day = days.get(iso);
  if (day === undefined) {
    day = chinaStandardTime(new Date(iso)).date;
    if (days.size >= 10_000) days.clear();
    days.set(iso, day);
  }
  return day;
};
const seconds = (from: string, to: string) => Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000));

/** The part of a record the statistics read: nothing else of it counts. */
export type StatsView = Pick<CaseRecord, 'id' | 'partnershipId' | 'itemCode' | 'hallId' | 'counterId' | 'clerkId' | 'state' | 'createdAt' | 'acceptedAt' | 'closedAt' | 'ratings' | 'checklist'>;

/**
 * A copy of what the statistics read of `r`, taken before a change mutates the record in place:
 * a few fields and the checklist's lines, instead of a second parse of the whole document (chat,
 * materials, documents) to know what the record counted for before.
 */
export function statsView(r: CaseRecord): StatsView {
  const view: StatsView = {
    id: r.id,
    partnershipId: r.partnershipId,
    itemCode: r.itemCode,
    hallId: r.hallId,
    counterId: r.counterId,
    state: r.state,
    createdAt: r.createdAt,
    ratings: { ...(r.ratings.clerk ? { clerk: { ...r.ratings.clerk } } : {}), ...(r.ratings.counter ? { counter: { ...r.ratings.counter } } : {}) },
    checklist: r.checklist.map((l) => ({ ...l, ...(l.waiver ? { waiver: { ...l.waiver } } : {}) })),
  };
  if (r.clerkId !== undefined) view.clerkId = r.clerkId;
  if (r.acceptedAt !== undefined) view.acceptedAt = r.acceptedAt;
  if (r.closedAt !== undefined) view.closedAt = r.closedAt;
  return view;
}

/** Everything `record` counts for in the statistics. */
export function caseContributions(record: StatsView): Contributions {
  const counts = new Map<string, number>();
  const members = new Map<string, number>();
  const dims = `${record.itemCode}|${record.hallId}|${record.counterId}|${record.clerkId ?? NO_CLERK}`;
  const keys: Record<DayDimension, string | undefined> = { item: record.itemCode, hall: record.hallId, counter: record.counterId, clerk: record.clerkId };
  const bumpKey = (k: string, by: number) => counts.set(k, (counts.get(k) ?? 0) + by);
  /** A counting metric: in the day's totals and in each dimension's breakdown. */
  const add = (at: string, metric: string, by = 1, opts: { clerk?: boolean } = {}) => {
    // A zero (a case handled within the second) counts for nothing: no field, as the commit script keeps none.
    if (by === 0) return;
    const day = dayOf(at);
    bumpKey(`${dayKey(record.partnershipId, day)}${SEP}${metric}`, by);
    for (const d of DAY_DIMENSIONS) {
      const key = keys[d];
      if (key === undefined || (d === 'clerk' && opts.clerk === false)) continue;
      bumpKey(`${dayKey(record.partnershipId, day, d)}${SEP}${metric}|${key}`, by);
    }
  };
  /** A duration bucket: in the day's totals only. */
  const bucket = (at: string, metric: string) => bumpKey(`${dayKey(record.partnershipId, dayOf(at))}${SEP}${metric}`, 1);

  // Opening is the counter's: no clerk had the case yet (so a later 受理 leaves the day alone).
  add(record.createdAt, 'opened', 1, { clerk: false });
  if (record.acceptedAt) {
    const waited = seconds(record.createdAt, record.acceptedAt);
    add(record.acceptedAt, 'accepted');
    if (record.clerkId) members.set(`${clerkCasesKey(record.clerkId)}${SEP}${record.id}`, Date.parse(record.acceptedAt));
    add(record.acceptedAt, 'wait_s', waited);
    bucket(record.acceptedAt, `wait:${durationBucket(waited)}`);
  }
  const closed = record.state === 'completed' || record.state === 'rejected' || record.state === 'abandoned';
  if (closed && record.closedAt) {
    add(record.closedAt, record.state);
    if (record.state !== 'abandoned' && record.acceptedAt) {
      const handled = seconds(record.acceptedAt, record.closedAt);
      add(record.closedAt, 'handle_n');
      add(record.closedAt, 'handle_s', handled);
      bucket(record.closedAt, `handle:${durationBucket(handled)}`);
    }
  }
  for (const target of ['clerk', 'counter'] as const) {
    const rating = record.ratings[target];
    if (!rating) continue;
    add(rating.at, `rate:${target}:${rating.score}`);
    members.set(`${ratingsKey(record.partnershipId)}${SEP}${record.id}|${target}|${dims}`, Date.parse(rating.at));
    if (rating.score <= 2) members.set(`${poorKey(record.partnershipId)}${SEP}${record.id}|${target}|${dims}`, Date.parse(rating.at));
  }
  // A 容缺 material is outstanding until supplied; a case refused or given up owes nothing more.
  if (record.state !== 'rejected' && record.state !== 'abandoned') {
    for (const line of record.checklist) {
      if (line.status !== 'waived' || !line.waiver) continue;
      // The deadline is a whole day in Asia/Shanghai: overdue from the next day's 00:00.
      const endOfDeadline = Date.parse(`${line.waiver.deadline}T00:00:00+08:00`) + 86_400_000;
      members.set(`${waiversKey(record.partnershipId)}${SEP}${record.id}|${line.materialId}|${dims}`, endOfDeadline);
    }
  }
  return { counts, members };
}

/**
 * Everything caseContributions reads, as one string: two records with the same signature count
 * the same, so a change that leaves it alone (a chat line, a field, a material) skips the delta.
 */
export function statsSignature(r: StatsView): string {
  return JSON.stringify([
    r.partnershipId,
    r.itemCode,
    r.hallId,
    r.counterId,
    r.clerkId,
    r.state,
    r.createdAt,
    r.acceptedAt,
    r.closedAt,
    r.ratings.clerk?.score,
    r.ratings.clerk?.at,
    r.ratings.counter?.score,
    r.ratings.counter?.at,
    r.checklist.map((l) => (l.status === 'waived' ? `${l.materialId}:${l.waiver?.deadline}` : '')),
  ]);
}

const split = (k: string): [string, string] => {
  const i = k.indexOf(SEP);
  return [k.slice(0, i), k.slice(i + 1)];
};

/** The changes that turn `before`'s contributions (none for a new case) into `after`'s. */
export function aggregateDelta(before: Contributions | undefined, after: CaseRecord): AggregateOp[] {
  const a = before ?? { counts: new Map<string, number>(), members: new Map<string, number>() };
  const b = caseContributions(after);
  const ops: AggregateOp[] = [];
  const touched = new Set<string>();
  for (const k of new Set([...a.counts.keys(), ...b.counts.keys()])) {
    const by = (b.counts.get(k) ?? 0) - (a.counts.get(k) ?? 0);
    if (by === 0) continue;
    const [key, field] = split(k);
    ops.push({ op: 'hincr', key, field, by });
    // `stats:day:<pid>:<day>[:<dim>]`: the day's change counter moves with it.
    touched.add(key.split(':').slice(2, 4).join(':'));
  }
  for (const t of touched) {
    const [pid, day] = t.split(':') as [string, string];
    ops.push({ op: 'hincr', key: dayVersionKey(pid), field: day, by: 1 });
  }
  for (const [k, score] of b.members) {
    if (a.members.get(k) === score) continue;
    const [key, member] = split(k);
    ops.push({ op: 'zadd', key, member, score });
  }
  for (const k of a.members.keys()) {
    if (b.members.has(k)) continue;
    const [key, member] = split(k);
    ops.push({ op: 'zrem', key, member });
  }
  return ops;
}
