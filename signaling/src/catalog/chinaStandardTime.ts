// China Standard Time has been UTC+8 without daylight saving since 1991, so a fixed offset is
// exact and needs no time-zone database.
const OFFSET_MS = 8 * 60 * 60 * 1000;

/** An instant as seen on a wall clock in Asia/Shanghai. */
export interface ChinaWallClock {
  /** `YYYY-MM-DD` */
  date: string;
  /** `HH:MM` */
  time: string;
  /** ISO weekday, 1 = Monday … 7 = Sunday. */
  weekday: number;
}

/** The Asia/Shanghai calendar date, wall time and weekday of an instant. */
export function chinaStandardTime(at: Date): ChinaWallClock {
  const shifted = new Date(at.getTime() + OFFSET_MS);
  const iso = shifted.toISOString();
  return { date: iso.slice(0, 10), time: iso.slice(11, 16), weekday: shifted.getUTCDay() === 0 ? 7 : shifted.getUTCDay() };
}
