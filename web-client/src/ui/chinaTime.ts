/**
 * Times as the halls' wall clocks show them: China time (UTC+8, no daylight saving), whatever
 * zone the browser is set to, so both regions and the server's deadlines agree.
 */
const CHINA_OFFSET_MS = 8 * 3600_000;

/** `HH:MM` of an ISO instant in China time. */
export function chinaClock(iso: string): string {
  return new Date(Date.parse(iso) + CHINA_OFFSET_MS).toISOString().slice(11, 16);
}

/** Today in China (the server's deadlines are China calendar dates), `YYYY-MM-DD`. */
export function chinaToday(): string {
  return new Date(Date.now() + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}
