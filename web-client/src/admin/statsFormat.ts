import type { StatsFigures } from '@rvw/protocol/stats';

// How the statistics' numbers read to a person: counts with thousands separators, durations in
// 小时/分钟/秒, and percentiles as what they are — the upper bound of a bucket ("≤ 3 分钟").

const GROUPED = new Intl.NumberFormat('zh-CN', { maximumFractionDigits: 0 });

/** A count, e.g. 1,234. */
export function formatCount(n: number): string {
  return GROUPED.format(n);
}

/** A duration in words, e.g. 45 秒, 3 分钟, 1 分 30 秒, 2 小时, 1 小时 30 分钟 (seconds dropped from an hour on). */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} 秒`;
  if (s < 3600) {
    const m = Math.floor(s / 60);
    return s % 60 === 0 ? `${m} 分钟` : `${m} 分 ${s % 60} 秒`;
  }
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return m === 0 ? `${h} 小时` : `${h} 小时 ${m} 分钟`;
}

/** A bucketed percentile: "≤ 3 分钟"; -1 is the open last bucket (beyond 24 hours), null means no cases. */
export function formatBucketBound(seconds: number | null): string {
  if (seconds === null) return '—';
  if (seconds < 0) return '超过 24 小时';
  return `≤ ${formatDuration(seconds)}`;
}

/** A mean duration, or "—" without cases. */
export function formatMeanDuration(seconds: number | null): string {
  return seconds === null ? '—' : formatDuration(seconds);
}

/** Ratings given in a slice, both targets, all levels. */
export function ratingsGiven(f: StatsFigures): number {
  return [...f.ratings.clerk, ...f.ratings.counter].reduce((a, b) => a + b, 0);
}

/** An ISO instant as Beijing time, e.g. 2025-07-14 10:05. */
export function formatBeijingTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '—';
  return new Date(ms + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');
}
