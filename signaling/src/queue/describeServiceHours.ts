import type { ServiceHours } from '@rvw/protocol/catalog';

const DAY = ['', '周一', '周二', '周三', '周四', '周五', '周六', '周日'];

/** Service hours as a person reads them, e.g. `周一至周五 09:00–12:00、13:30–17:30（北京时间）`. */
export function describeServiceHours(hours: ServiceHours): string {
  const days = [...new Set(hours.weekdays)].sort((a, b) => a - b);
  const first = days[0] ?? 1;
  const last = days[days.length - 1] ?? 1;
  const contiguous = days.length === last - first + 1;
  const dayText = days.length === 7 ? '每天' : contiguous && days.length > 2 ? `${DAY[first]}至${DAY[last]}` : days.map((d) => DAY[d]).join('、');
  const windows = [...hours.windows].sort((a, b) => a.start.localeCompare(b.start)).map((w) => `${w.start}–${w.end}`).join('、');
  return `${dayText} ${windows}（北京时间）`;
}
