import type { CaseRecord } from '@rvw/protocol/caseRecord';
import type { Partnership } from '@rvw/protocol/catalog';
import {
  DURATION_BUCKETS_S,
  type LiveStats,
  type PoorRating,
  type StatsDimension,
  type StatsFigures,
  type StatsQueryInput,
  type StatsReport,
  type StatsRow,
} from '@rvw/protocol/stats';
import { chinaStandardTime } from '../catalog/chinaStandardTime.js';
import { queueKey } from '../queue/queueKey.js';
import type { RedisClient } from '../store/redisClient.js';
import { caseContributions, DAY_DIMENSIONS, dayKey, dayVersionKey, poorKey, ratingsKey, waiversKey, type DayDimension } from './caseContributions.js';

/** Names for the keys the figures are broken down by (the catalogue's and the staff's). */
export interface StatsLabels {
  partnership(id: string): Promise<string>;
  item(code: string): Promise<string>;
  hall(id: string): Promise<string>;
  counter(id: string): Promise<string>;
  clerk(id: string): Promise<string>;
}

/** Dependencies of {@link StatsReader}. */
export interface StatsReaderOptions {
  redis: RedisClient;
  clock: () => Date;
  labels: StatsLabels;
  /** Case records by id (the 差评 list shows each one's number, item and comment). */
  getCases(ids: readonly string[]): Promise<(CaseRecord | undefined)[]>;
  /** Which clerks watch their queues and how many hold a case (ClerkPresence). */
  clerksPresent(pairs: readonly { regionCode: string; itemCode: string }[]): Promise<{ online: number; busy: number; paused: number }>;
}

/** Counts of one slice, by metric (`opened`, `wait:3`, `rate:clerk:5` …). */
type Tally = Map<string, number>;

/** One partnership's figures of one day, as read from Redis. */
interface DayFigures {
  /** The day's change counter when read (`stats:dayver`). */
  version: string;
  totals: Tally;
  dims: Record<DayDimension, Map<string, Tally>>;
}

/** Days (per partnership) kept parsed in memory: two years of four partnerships. */
const DAY_CACHE_MAX = 3000;

/** At most this many 差评 listed in one report (the newest). */
const POOR_LIST_MAX = 200;

/**
 * Reads the statistics the case store keeps (stats/caseContributions): a range is one hash per
 * day and partnership, summed here, so a query costs the days asked for, not the cases in them.
 */
export class StatsReader {
  readonly #o: StatsReaderOptions;
  readonly #cache = new Map<string, DayFigures>();

  constructor(options: StatsReaderOptions) {
    this.#o = options;
  }

  /** The figures of `partnerships` (already limited to what the requester may see) over the query's range. */
  async report(partnerships: readonly Partnership[], q: StatsQueryInput): Promise<StatsReport> {
    const ids = partnerships.map((p) => p.id).filter((id) => !q.partnershipId || id === q.partnershipId);
    const days = daysBetween(q.from, q.to);
    const filter = filterOf(q);
    const figures = await this.#days(ids, days);

    const totals: Tally = new Map();
    const byDay = new Map<string, Tally>(days.map((d) => [d, new Map()]));
    const byPartnership = new Map<string, Tally>();
    const by: Record<DayDimension, Map<string, Tally>> = { item: new Map(), hall: new Map(), counter: new Map(), clerk: new Map() };
    for (const [i, pid] of ids.entries()) {
      const own = new Map() as Tally;
      byPartnership.set(pid, own);
      for (const [j, day] of days.entries()) {
        const f = figures[i * days.length + j]!;
        // A filtered view counts that key's row of its dimension; unfiltered, the day's totals.
        const counted = filter ? f.dims[filter.dim].get(filter.key) : f.totals;
        if (counted) for (const t of [totals, byDay.get(day)!, own]) addTally(t, counted);
        for (const d of DAY_DIMENSIONS) {
          if (filter && d !== filter.dim) continue;
          for (const [key, tally] of f.dims[d]) {
            if (filter && key !== filter.key) continue;
            if (!by[d].has(key)) by[d].set(key, new Map());
            addTally(by[d].get(key)!, tally);
          }
        }
      }
    }

    const labelOf: Record<StatsDimension, (k: string) => Promise<string>> = {
      partnership: (k) => this.#o.labels.partnership(k),
      item: (k) => this.#o.labels.item(k),
      hall: (k) => this.#o.labels.hall(k),
      counter: (k) => this.#o.labels.counter(k),
      clerk: (k) => this.#o.labels.clerk(k),
    };
    const rowsOf = async (d: StatsDimension, tallies: Map<string, Tally>): Promise<StatsRow[]> =>
      (await Promise.all([...tallies].map(async ([key, t]) => ({ key, label: await labelOf[d](key), figures: figuresOf(t, { buckets: false }) })))).sort(
        (a, b) => b.figures.opened + b.figures.accepted - (a.figures.opened + a.figures.accepted) || a.label.localeCompare(b.label, 'zh-CN'),
      );
    const byDimension: Record<StatsDimension, StatsRow[]> = {
      partnership: await rowsOf('partnership', byPartnership),
      item: await rowsOf('item', by.item),
      hall: await rowsOf('hall', by.hall),
      counter: await rowsOf('counter', by.counter),
      clerk: await rowsOf('clerk', by.clerk),
    };

    return {
      from: q.from,
      to: q.to,
      partnershipIds: ids,
      totals: figuresOf(totals, { buckets: !filter }),
      byDay: days.map((day) => ({ day, figures: figuresOf(byDay.get(day)!, { buckets: !filter }) })),
      by: byDimension,
      waivers: await this.#waivers(ids, q),
      poorRatings: await this.ratings(ids, q, { poorOnly: true, limit: POOR_LIST_MAX }),
    };
  }

  /**
   * The figures of every (partnership, day), in that order: from the cache while the day's change
   * counter has not moved (a past day rarely changes), else read and parsed again.
   */
  async #days(ids: readonly string[], days: readonly string[]): Promise<DayFigures[]> {
    const redis = this.#o.redis;
    const versions = await Promise.all(ids.map((pid) => (days.length ? redis.hmGet(dayVersionKey(pid), [...days]) : Promise.resolve([]))));
    return Promise.all(
      ids.flatMap((pid, i) =>
        days.map(async (day, j) => {
          const version = versions[i]![j] ?? '0';
          const cacheKey = `${pid}|${day}`;
          const cached = this.#cache.get(cacheKey);
          if (cached && cached.version === version) {
            // Most recently used last: the oldest entries go first when the cache is full.
            this.#cache.delete(cacheKey);
            this.#cache.set(cacheKey, cached);
            return cached;
          }
          const [totals, ...dims] = await Promise.all([redis.hGetAll(dayKey(pid, day)), ...DAY_DIMENSIONS.map((d) => redis.hGetAll(dayKey(pid, day, d)))]);
          const f: DayFigures = { version, totals: new Map(), dims: { item: new Map(), hall: new Map(), counter: new Map(), clerk: new Map() } };
          for (const [metric, n] of Object.entries(totals)) f.totals.set(metric, Number(n));
          for (const [k, d] of DAY_DIMENSIONS.entries()) {
            for (const [field, n] of Object.entries(dims[k]!)) {
              const bar = field.indexOf('|');
              const key = field.slice(bar + 1);
              if (!f.dims[d].has(key)) f.dims[d].set(key, new Map());
              f.dims[d].get(key)!.set(field.slice(0, bar), Number(n));
            }
          }
          // A version of "0" (never written) may be written the next moment: not cached.
          if (version !== '0') {
            this.#cache.set(cacheKey, f);
            if (this.#cache.size > DAY_CACHE_MAX) this.#cache.delete(this.#cache.keys().next().value!);
          }
          return f;
        }),
      ),
    );
  }

  /** Queues of `partnerships` now: how many wait, the longest wait; clerks watching, clerks busy. */
  async live(partnerships: readonly Partnership[], itemName: (code: string) => Promise<string>): Promise<LiveStats> {
    const now = this.#o.clock().getTime();
    const refs = partnerships.flatMap((p) => p.offers.flatMap((o) => o.itemCodes.map((itemCode) => ({ partnershipId: p.id, servingRegion: o.servingRegion, itemCode }))));
    const queues = await Promise.all(
      refs.map(async (ref) => {
        const key = queueKey(ref);
        const [waiting, oldest] = await Promise.all([this.#o.redis.zCard(key), this.#o.redis.zRangeWithScores(key, 0, 0)]);
        return { ...ref, itemName: await itemName(ref.itemCode), waiting, longestWaitS: oldest[0] ? Math.max(0, Math.round((now - oldest[0].score) / 1000)) : 0 };
      }),
    );
    const pairs = refs.map((r) => ({ regionCode: r.servingRegion, itemCode: r.itemCode }));
    return { at: new Date(now).toISOString(), queues, clerks: await this.#o.clerksPresent(pairs) };
  }

  async #waivers(ids: readonly string[], q: StatsQueryInput): Promise<{ outstanding: number; overdue: number }> {
    const now = this.#o.clock().getTime();
    let outstanding = 0;
    let overdue = 0;
    for (const pid of ids) {
      for (const { value, score } of await this.#o.redis.zRangeWithScores(waiversKey(pid), 0, -1)) {
        const [, , item, hall, counter, clerk] = value.split('|');
        if ((q.itemCode && item !== q.itemCode) || (q.hallId && hall !== q.hallId) || (q.counterId && counter !== q.counterId) || (q.clerkId && clerk !== q.clerkId)) continue;
        outstanding++;
        if (score <= now) overdue++;
      }
    }
    return { outstanding, overdue };
  }

  /**
   * Ratings given in the query's range (newest first, at most `limit`): the 差评 only, or every
   * rating (the 好差评 export).
   */
  async ratings(ids: readonly string[], q: StatsQueryInput, opts: { poorOnly: boolean; limit: number }): Promise<PoorRating[]> {
    const from = Date.parse(`${q.from}T00:00:00+08:00`);
    const to = Date.parse(`${q.to}T00:00:00+08:00`) + 86_400_000 - 1;
    const keyOf = opts.poorOnly ? poorKey : ratingsKey;
    const entries = (await Promise.all(ids.map((pid) => this.#o.redis.zRangeByScoreWithScores(keyOf(pid), from, to))))
      .flat()
      .map((e) => {
        const [caseId, target, item, hall, counter, clerk] = e.value.split('|') as [string, 'clerk' | 'counter', string, string, string, string];
        return { caseId, target, item, hall, counter, clerk, at: e.score };
      })
      .filter((e) => !((q.itemCode && e.item !== q.itemCode) || (q.hallId && e.hall !== q.hallId) || (q.counterId && e.counter !== q.counterId) || (q.clerkId && e.clerk !== q.clerkId)))
      .sort((a, b) => b.at - a.at)
      .slice(0, opts.limit);
    const records = await this.#o.getCases(entries.map((e) => e.caseId));
    const out: PoorRating[] = [];
    for (const [i, { target }] of entries.entries()) {
      const record = records[i];
      const rating = record?.ratings[target];
      if (!record || !rating) continue;
      out.push({
        caseId: record.id,
        caseNumber: record.number ?? null,
        itemName: record.itemName,
        target,
        subject: target === 'clerk' ? (record.clerkId ? await this.#o.labels.clerk(record.clerkId) : '—') : await this.#o.labels.counter(record.counterId),
        score: rating.score,
        comment: rating.comment ?? null,
        at: rating.at,
        followUp: rating.followUp ?? null,
      });
    }
    return out;
  }

  /**
   * Replaces the statistics of `partnershipIds` with the sum of `records`' contributions: after a
   * restore from backup, or to check the kept figures (test/stats). Not atomic with case writes;
   * run it while the partnerships take no cases.
   */
  async rebuild(partnershipIds: readonly string[], records: Iterable<CaseRecord>): Promise<void> {
    const redis = this.#o.redis;
    for (const pid of partnershipIds) {
      const dayKeys: string[] = [];
      for await (const keys of redis.scanIterator({ MATCH: `${dayKey(pid, '')}*`, COUNT: 500 })) dayKeys.push(...(Array.isArray(keys) ? keys : [keys]));
      await Promise.all([...dayKeys, poorKey(pid), ratingsKey(pid), waiversKey(pid)].map((k) => redis.del(k)));
      // The day counters keep counting (never reset): a reader's cached day never matches a rebuilt one.
      for (const day of new Set(dayKeys.map((k) => k.split(':')[3]!))) await redis.hIncrBy(dayVersionKey(pid), day, 1);
    }
    const wanted = new Set(partnershipIds);
    const writes: Promise<unknown>[] = [];
    const touched = new Set<string>();
    for (const record of records) {
      if (!wanted.has(record.partnershipId)) continue;
      const { counts, members } = caseContributions(record);
      for (const [k, n] of counts) {
        const [key, field] = k.split('\u0000') as [string, string];
        writes.push(redis.hIncrBy(key, field, n));
        touched.add(key.split(':').slice(2, 4).join(':'));
      }
      for (const [k, score] of members) {
        const [key, member] = k.split('\u0000') as [string, string];
        writes.push(redis.zAdd(key, { score, value: member }));
      }
    }
    for (const t of touched) {
      const [pid, day] = t.split(':') as [string, string];
      writes.push(redis.hIncrBy(dayVersionKey(pid), day, 1));
    }
    await Promise.all(writes);
  }
}

function addTally(into: Tally, from: Tally): void {
  for (const [metric, n] of from) into.set(metric, (into.get(metric) ?? 0) + n);
}

/** The one dimension a query filters on, if any (StatsQueryInput allows one). */
function filterOf(q: StatsQueryInput): { dim: DayDimension; key: string } | undefined {
  if (q.itemCode) return { dim: 'item', key: q.itemCode };
  if (q.hallId) return { dim: 'hall', key: q.hallId };
  if (q.counterId) return { dim: 'counter', key: q.counterId };
  if (q.clerkId) return { dim: 'clerk', key: q.clerkId };
  return undefined;
}

/** The days from `from` to `to`, both included (`YYYY-MM-DD`, Asia/Shanghai). */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T12:00:00+08:00`), end = Date.parse(`${to}T12:00:00+08:00`); t <= end; t += 86_400_000) out.push(chinaStandardTime(new Date(t)).date);
  return out;
}

/** The bucket bound holding the p-th percentile (nearest rank) of bucketed durations; null when empty, -1 in the open bucket. */
export function bucketPercentile(t: Tally, prefix: string, p: number): number | null {
  const counts = Array.from({ length: DURATION_BUCKETS_S.length + 1 }, (_, i) => t.get(`${prefix}:${i}`) ?? 0);
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.ceil((p / 100) * total);
  let seen = 0;
  for (const [i, n] of counts.entries()) {
    seen += n;
    if (seen >= rank) return i < DURATION_BUCKETS_S.length ? DURATION_BUCKETS_S[i]! : -1;
  }
  return -1;
}

/** The figures of a tally; duration percentiles only where the buckets are kept (whole partnerships). */
function figuresOf(t: Tally, opts: { buckets: boolean }): StatsFigures {
  const get = (m: string) => t.get(m) ?? 0;
  const handled = get('handle_n');
  const accepted = get('accepted');
  const levels = (target: string) => [1, 2, 3, 4, 5].map((s) => get(`rate:${target}:${s}`));
  const ratings = { clerk: levels('clerk'), counter: levels('counter') };
  return {
    opened: get('opened'),
    accepted: get('accepted'),
    completed: get('completed'),
    rejected: get('rejected'),
    abandoned: get('abandoned'),
    waitMeanS: accepted ? Math.round(get('wait_s') / accepted) : null,
    waitP50S: opts.buckets ? bucketPercentile(t, 'wait', 50) : null,
    waitP90S: opts.buckets ? bucketPercentile(t, 'wait', 90) : null,
    handlingMeanS: handled ? Math.round(get('handle_s') / handled) : null,
    handlingP50S: opts.buckets ? bucketPercentile(t, 'handle', 50) : null,
    ratings,
    poor: ratings.clerk[0]! + ratings.clerk[1]! + ratings.counter[0]! + ratings.counter[1]!,
  };
}
