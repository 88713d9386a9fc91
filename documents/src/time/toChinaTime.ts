/** Calendar fields of an instant in China Standard Time. */
export interface ChinaTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const CST_OFFSET_MS = 8 * 3600 * 1000;

/**
 * The wall-clock fields of `date` in China Standard Time (UTC+8, no daylight saving), which is
 * what every printed date, document number and PDF date uses regardless of the server's TZ.
 */
export function toChinaTime(date: Date): ChinaTime {
  const shifted = new Date(date.getTime() + CST_OFFSET_MS);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
    second: shifted.getUTCSeconds(),
  };
}
