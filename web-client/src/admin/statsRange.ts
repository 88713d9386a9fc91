import { STATS_MAX_DAYS as MAX_DAYS } from '@rvw/protocol/vocabulary';

// The date range of a statistics query: calendar days in Asia/Shanghai (the days the server
// counts by), whatever the time zone of the administrator's computer.

/** A statistics query as the page sends it. */
export interface StatsQuery {
  from: string;
  to: string;
  partnershipId?: string;
}

const DAY_MS = 86_400_000;
const SHANGHAI_DAY = new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' });

/** The calendar day of `at` in Asia/Shanghai, `YYYY-MM-DD`. */
export function shanghaiDay(at: Date): string {
  const part = (type: Intl.DateTimeFormatPartTypes) => SHANGHAI_DAY.formatToParts(at).find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** The last `days` days up to today (both ends included). */
export function lastDays(days: number, now: Date = new Date()): { from: string; to: string } {
  const to = shanghaiDay(now);
  // Noon, so adding whole days never crosses a day boundary (Shanghai has no daylight saving).
  const from = shanghaiDay(new Date(Date.parse(`${to}T12:00:00+08:00`) - (days - 1) * DAY_MS));
  return { from, to };
}

/** Why the range cannot be asked for (the server's own words), or undefined when it can. */
export function rangeProblem(from: string, to: string): string | undefined {
  const day = /^\d{4}-\d{2}-\d{2}$/;
  if (!day.test(from) || !day.test(to)) return '请选择开始日期和结束日期';
  if (from > to) return '开始日期不能晚于结束日期';
  if ((Date.parse(to) - Date.parse(from)) / DAY_MS >= MAX_DAYS) return `查询范围不能超过 ${MAX_DAYS} 天`;
  return undefined;
}

/** The query string of a query (and of its exports), e.g. `from=…&to=…&partnershipId=…`. */
export function queryString(q: StatsQuery, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams({ ...extra, from: q.from, to: q.to });
  if (q.partnershipId) params.set('partnershipId', q.partnershipId);
  return params.toString();
}
