import { byId, h } from '../ui/dom';
import type { ServiceHours } from './adminTypes';
import { check, checkedValues, fillChecks, setChecked } from './forms';
import { WEEKDAY_LABELS } from './labels';

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const MAX_WINDOWS = 6;

/** The usual hall hours, offered for a new partnership. */
export const DEFAULT_HOURS: ServiceHours = {
  timezone: 'Asia/Shanghai',
  weekdays: [1, 2, 3, 4, 5],
  windows: [
    { start: '09:00', end: '12:00' },
    { start: '13:30', end: '17:30' },
  ],
};

/** The service-hours part of the partnership form: weekdays and opening windows (Beijing time). */
export class ServiceHoursEditor {
  readonly #weekdays: HTMLElement;
  readonly #windows: HTMLTableSectionElement;

  constructor(weekdaysId: string, windowsId: string, addButtonId: string) {
    this.#weekdays = byId(weekdaysId);
    this.#windows = byId<HTMLTableSectionElement>(windowsId);
    fillChecks(this.#weekdays, [1, 2, 3, 4, 5, 6, 7].map((d) => ({ value: String(d), label: WEEKDAY_LABELS[d] ?? String(d) })));
    byId(addButtonId).addEventListener('click', () => this.#addWindow({ start: '', end: '' }));
  }

  /** Shows `hours`. */
  set(hours: ServiceHours): void {
    setChecked(this.#weekdays, hours.weekdays.map(String));
    this.#windows.replaceChildren();
    for (const w of hours.windows) this.#addWindow(w);
  }

  /** The hours entered; throws Invalid when a weekday or a window is missing or a window is malformed. */
  read(): ServiceHours {
    const weekdays = checkedValues(this.#weekdays).map(Number);
    check(weekdays.length > 0, '请至少选择一个服务日');
    const windows = [...this.#windows.querySelectorAll<HTMLTableRowElement>('tr')].map((row) => ({
      start: row.querySelector<HTMLInputElement>('input.window-start')!.value.slice(0, 5),
      end: row.querySelector<HTMLInputElement>('input.window-end')!.value.slice(0, 5),
    }));
    check(windows.length > 0, '请至少添加一个服务时段');
    check(windows.length <= MAX_WINDOWS, `服务时段最多 ${MAX_WINDOWS} 个`);
    for (const [i, w] of windows.entries()) {
      check(HHMM.test(w.start) && HHMM.test(w.end), `第 ${i + 1} 个服务时段的时间格式应为 HH:MM`);
      check(w.start < w.end, `第 ${i + 1} 个服务时段的结束时间须晚于开始时间`);
    }
    return { timezone: 'Asia/Shanghai', weekdays, windows };
  }

  #addWindow(w: { start: string; end: string }): void {
    const row: HTMLTableRowElement = h(
      'tr',
      { className: 'window-row' },
      h('td', {}, h('input', { type: 'time', className: 'window-start', value: w.start, 'aria-label': '开始时间' })),
      h('td', {}, h('input', { type: 'time', className: 'window-end', value: w.end, 'aria-label': '结束时间' })),
      h('td', {}, h('button', { type: 'button', className: 'small danger', 'data-action': 'remove-window', onclick: () => row.remove() }, '删除')),
    );
    this.#windows.append(row);
  }
}

/** Service hours as one line, e.g. 周一至周五 09:00–12:00、13:30–17:30. */
export function formatServiceHours(hours: ServiceHours): string {
  return `${formatWeekdays(hours.weekdays)} ${hours.windows.map((w) => `${w.start}–${w.end}`).join('、')}`;
}

function formatWeekdays(days: readonly number[]): string {
  const sorted = [...new Set(days)].sort((a, b) => a - b);
  if (sorted.length === 7) return '每天';
  const consecutive = sorted.length > 2 && sorted.every((d, i) => i === 0 || d === sorted[i - 1]! + 1);
  if (consecutive) return `${WEEKDAY_LABELS[sorted[0]!]}至${WEEKDAY_LABELS[sorted[sorted.length - 1]!]}`;
  return sorted.map((d) => WEEKDAY_LABELS[d]).join('、');
}
