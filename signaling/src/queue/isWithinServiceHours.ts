import { chinaStandardTime } from '../catalog/chinaStandardTime.js';
import type { ServiceHours } from '@rvw/protocol/catalog';

/** True when `at` falls on a service weekday inside one of the windows (start inclusive, end exclusive). */
export function isWithinServiceHours(hours: ServiceHours, at: Date): boolean {
  const { weekday, time } = chinaStandardTime(at);
  return hours.weekdays.includes(weekday) && hours.windows.some((w) => w.start <= time && time < w.end);
}
