import { describe, expect, it } from 'vitest';
import { describeServiceHours } from '@rvw/signaling/queue/describeServiceHours';
import { isWithinServiceHours } from '@rvw/signaling/queue/isWithinServiceHours';

// The hours a counter shows before anything is typed, and whether it is open, by the server's
// clock in China Standard Time (whatever the server's own time zone).
const WEEKDAYS = { timezone: 'Asia/Shanghai' as const, weekdays: [1, 2, 3, 4, 5], windows: [{ start: '13:30', end: '17:30' }, { start: '09:00', end: '12:00' }] };

describe('service hours', () => {
  it('reads as a person says them', () => {
    expect(describeServiceHours(WEEKDAYS)).toBe('周一至周五 09:00–12:00、13:30–17:30（北京时间）');
    expect(describeServiceHours({ ...WEEKDAYS, weekdays: [1, 2, 3, 4, 5, 6, 7] })).toBe('每天 09:00–12:00、13:30–17:30（北京时间）');
    expect(describeServiceHours({ ...WEEKDAYS, weekdays: [6, 7] })).toBe('周六、周日 09:00–12:00、13:30–17:30（北京时间）');
    expect(describeServiceHours({ ...WEEKDAYS, weekdays: [1, 3, 5] })).toBe('周一、周三、周五 09:00–12:00、13:30–17:30（北京时间）');
  });

  it('is open inside a window on a service day, by Beijing time', () => {
    // Monday 2025-07-14: 09:00 Beijing = 01:00 UTC.
    expect(isWithinServiceHours(WEEKDAYS, new Date('2025-07-14T01:00:00Z'))).toBe(true);
    expect(isWithinServiceHours(WEEKDAYS, new Date('2025-07-14T00:59:00Z'))).toBe(false);
    // 12:00 is the end of the morning window (exclusive), 13:30 opens the afternoon.
    expect(isWithinServiceHours(WEEKDAYS, new Date('2025-07-14T04:00:00Z'))).toBe(false);
    expect(isWithinServiceHours(WEEKDAYS, new Date('2025-07-14T05:30:00Z'))).toBe(true);
    // Sunday 2025-07-13 at 10:00 Beijing: closed.
    expect(isWithinServiceHours(WEEKDAYS, new Date('2025-07-13T02:00:00Z'))).toBe(false);
    // Friday 23:30 UTC is Saturday 07:30 in Beijing: closed, though it is a weekday in UTC.
    expect(isWithinServiceHours({ ...WEEKDAYS, windows: [{ start: '07:00', end: '08:00' }] }, new Date('2025-07-18T23:30:00Z'))).toBe(false);
  });
});
