import type { StatsDimension, StatsFigures, StatsReport } from '@rvw/protocol/stats';
import { h } from '../ui/dom';
import { emptyRow, fillSelect } from './forms';
import { formatCount, formatMeanDuration, ratingsGiven } from './statsFormat';
import { STATS_DIMENSION_LABELS as DIMENSION_LABELS } from '@rvw/protocol/vocabulary';

/**
 * The columns of a breakdown row after its name: header, `data-figure` key, cell text. Rows carry
 * means, not percentiles (the server keeps duration buckets for whole partnerships only).
 */
const COLUMNS: { title: string; key: string; text: (f: StatsFigures) => string; notFor?: StatsDimension }[] = [
  // Opening is the counter's: a clerk's row never counts it (the case had no clerk yet).
  { title: '新建', key: 'opened', text: (f) => formatCount(f.opened), notFor: 'clerk' },
  { title: '受理', key: 'accepted', text: (f) => formatCount(f.accepted) },
  { title: '办结', key: 'completed', text: (f) => formatCount(f.completed) },
  { title: '不予受理', key: 'rejected', text: (f) => formatCount(f.rejected) },
  { title: '离开队列', key: 'abandoned', text: (f) => formatCount(f.abandoned) },
  { title: '平均等待时长', key: 'waitMean', text: (f) => formatMeanDuration(f.waitMeanS) },
  { title: '平均办理时长', key: 'handlingMean', text: (f) => formatMeanDuration(f.handlingMeanS) },
  { title: '评价数', key: 'ratings', text: (f) => formatCount(ratingsGiven(f)) },
  { title: '差评', key: 'poor', text: (f) => formatCount(f.poor) },
];

/**
 * 分项统计: the report's figures per key of one dimension (合作关系, 事项, 大厅, 窗口, 受理人员),
 * chosen in a selector; switching dimension redraws from the report already loaded.
 */
export class StatsBreakdown {
  readonly #select: HTMLSelectElement;
  readonly #head: HTMLTableRowElement;
  readonly #body: HTMLElement;
  #report: StatsReport | undefined;

  constructor(select: HTMLSelectElement, head: HTMLTableRowElement, body: HTMLElement) {
    this.#select = select;
    this.#head = head;
    this.#body = body;
    fillSelect(select, Object.entries(DIMENSION_LABELS).map(([value, label]) => ({ value, label })));
    select.addEventListener('change', () => this.#render());
  }

  /** Shows `report`'s rows for the chosen dimension. */
  show(report: StatsReport): void {
    this.#report = report;
    this.#render();
  }

  #render(): void {
    const dimension = this.#select.value as StatsDimension;
    this.#head.replaceChildren(h('th', {}, DIMENSION_LABELS[dimension]), ...COLUMNS.map((c) => h('th', { className: 'num' }, c.title)));
    const rows = (this.#report?.by[dimension] ?? []).map((row) =>
      h('tr', { 'data-key': row.key }, h('td', {}, row.label), ...COLUMNS.map((c) => h('td', { className: 'num', 'data-figure': c.key }, c.notFor === dimension ? '—' : c.text(row.figures)))),
    );
    const none = dimension === 'clerk' ? '此期间没有受理人员办理的办件' : '此期间没有办件';
    this.#body.replaceChildren(...(rows.length ? rows : [emptyRow(COLUMNS.length + 1, none)]));
  }
}
