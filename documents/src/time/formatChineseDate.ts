import { toChinaTime } from './toChinaTime.js';

/**
 * Formats a date the way Chinese official documents print it: `2026年11月23日` (optionally with
 * `09:05`). A `YYYY-MM-DD` string is a calendar date and printed as is; a Date is an instant and
 * printed in China Standard Time.
 */
export function formatChineseDate(value: Date | string, options: { withTime?: boolean } = {}): string {
  if (typeof value === 'string') {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    if (!m) throw new Error(`not a YYYY-MM-DD date: ${value}`);
    return `${m[1]}年${Number(m[2])}月${Number(m[3])}日`;
  }
  const t = toChinaTime(value);
  const date = `${t.year}年${t.month}月${t.day}日`;
  if (!options.withTime) return date;
  return `${date} ${String(t.hour).padStart(2, '0')}:${String(t.minute).padStart(2, '0')}`;
}
