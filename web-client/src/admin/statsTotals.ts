import type { StatsReport } from '@rvw/protocol/stats';
import { h } from '../ui/dom';
import { formatBucketBound, formatCount, formatMeanDuration } from './statsFormat';

/** One figure of the totals: its `data-figure` key, label, an explanation when the label needs one, and its text. */
interface Figure {
  key: string;
  label: string;
  hint?: string;
  text: (r: StatsReport) => string;
  /** Shown in red when it is not zero (something to act on). */
  alarm?: (r: StatsReport) => boolean;
}

const FIGURES: Figure[] = [
  { key: 'opened', label: '新建', hint: '申请人在窗口发起的办件', text: (r) => formatCount(r.totals.opened) },
  { key: 'accepted', label: '受理', text: (r) => formatCount(r.totals.accepted) },
  { key: 'completed', label: '办结', text: (r) => formatCount(r.totals.completed) },
  { key: 'rejected', label: '不予受理', text: (r) => formatCount(r.totals.rejected) },
  { key: 'abandoned', label: '离开队列', hint: '排队时离开，未被受理', text: (r) => formatCount(r.totals.abandoned) },
  { key: 'waitMean', label: '平均等待时长', hint: '从排队到受理', text: (r) => formatMeanDuration(r.totals.waitMeanS) },
  { key: 'waitP50', label: '等待时长（中位数）', hint: '一半申请人的等待不超过此时长', text: (r) => formatBucketBound(r.totals.waitP50S) },
  { key: 'waitP90', label: '等待时长（九成）', hint: '九成申请人的等待不超过此时长', text: (r) => formatBucketBound(r.totals.waitP90S) },
  { key: 'handlingMean', label: '平均办理时长', hint: '从受理到办结或不予受理', text: (r) => formatMeanDuration(r.totals.handlingMeanS) },
  { key: 'poor', label: '差评数', hint: '“不满意”和“非常不满意”', text: (r) => formatCount(r.totals.poor), alarm: (r) => r.totals.poor > 0 },
  { key: 'waiversOutstanding', label: '容缺待补', hint: '目前尚未补齐的容缺材料', text: (r) => formatCount(r.waivers.outstanding) },
  { key: 'waiversOverdue', label: '容缺已逾期', hint: '已过承诺补齐日期', text: (r) => formatCount(r.waivers.overdue), alarm: (r) => r.waivers.overdue > 0 },
];

/** The totals of a report as labelled figures, each value carrying `data-figure="<key>"`. */
export function showTotals(box: HTMLElement, report: StatsReport): void {
  box.replaceChildren(
    ...FIGURES.map((f) =>
      h(
        'div',
        { className: `figure${f.alarm?.(report) ? ' alarm' : ''}` },
        h('dt', {}, f.label),
        h('dd', { 'data-figure': f.key }, f.text(report)),
        f.hint ? h('dd', { className: 'hint' }, f.hint) : null,
      ),
    ),
  );
}
