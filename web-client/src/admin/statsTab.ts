import type { StatsReport } from '@rvw/protocol/stats';
import { byId } from '../ui/dom';
import { adminApi } from './adminApi';
import type { AdminData } from './AdminData';
import { check, fillSelect, onSubmit } from './forms';
import { PoorRatingsList } from './poorRatings';
import { StatsBreakdown } from './statsBreakdown';
import { StatsCharts } from './statsCharts';
import { LiveView } from './statsLive';
import { lastDays, queryString, rangeProblem, type StatsQuery } from './statsRange';
import { showTotals } from './statsTotals';

/** The range shown first: the last 30 days, today included. */
const DEFAULT_DAYS = 30;

/** The exports offered for the figures shown (`kind`, `format`) → link id. */
const EXPORTS = [
  { id: 'stats-export-ratings-csv', kind: 'ratings', format: 'csv' },
  { id: 'stats-export-ratings-xlsx', kind: 'ratings', format: 'xlsx' },
  { id: 'stats-export-figures-csv', kind: 'figures', format: 'csv' },
  { id: 'stats-export-figures-xlsx', kind: 'figures', format: 'xlsx' },
] as const;

/**
 * 统计 tab: a date range (Beijing days) and a partnership → totals, charts, a breakdown, the 差评
 * with their 整改, exports of exactly what is shown; and the live queues. Nothing is asked for
 * until the tab is first shown; the range is asked for again only on 查询.
 */
export function setupStatsTab(data: AdminData): { setShown(shown: boolean): void } {
  const form = byId<HTMLFormElement>('stats-query');
  const from = byId<HTMLInputElement>('stats-from');
  const to = byId<HTMLInputElement>('stats-to');
  const partnership = byId<HTMLSelectElement>('stats-partnership');
  const charts = new StatsCharts(byId('stats-chart-days'), byId('stats-chart-ratings'));
  const breakdown = new StatsBreakdown(byId<HTMLSelectElement>('stats-dimension'), byId<HTMLTableRowElement>('stats-breakdown-head'), byId('stats-breakdown-body'));
  const poor = new PoorRatingsList(byId('stats-poor-body'));
  const live = new LiveView(data);
  // The partnerships this administrator may see: the server's answer to a query without a filter.
  let visible: string[] = [];
  let started = false;

  const range = lastDays(DEFAULT_DAYS);
  from.value = range.from;
  to.value = range.to;

  const partnershipName = (id: string) => data.lists.partnerships.find((p) => p.id === id)?.name ?? id;
  const fillPartnerships = () => fillSelect(partnership, visible.map((id) => ({ value: id, label: partnershipName(id) })), '全部合作关系');
  data.onChange(fillPartnerships);

  const show = (report: StatsReport, q: StatsQuery) => {
    const none = report.partnershipIds.length === 0;
    byId('stats-none').classList.toggle('hidden', !none);
    byId('stats-results').classList.toggle('hidden', none);
    if (none) return;
    const scope = q.partnershipId ? partnershipName(q.partnershipId) : `全部 ${report.partnershipIds.length} 个合作关系`;
    byId('stats-scope').textContent = `${report.from} 至 ${report.to} · ${scope}`;
    showTotals(byId('stats-figures'), report);
    charts.show(report);
    breakdown.show(report);
    poor.show(report.poorRatings);
    for (const e of EXPORTS) {
      const link = byId<HTMLAnchorElement>(e.id);
      link.href = `/api/admin/stats/export?${queryString(q, { format: e.format, kind: e.kind })}`;
      link.removeAttribute('aria-disabled');
    }
  };

  onSubmit(form, async () => {
    const q: StatsQuery = { from: from.value, to: to.value, ...(partnership.value ? { partnershipId: partnership.value } : {}) };
    const problem = rangeProblem(q.from, q.to);
    check(problem === undefined, problem ?? '');
    const report = await adminApi<StatsReport>('GET', `/api/admin/stats?${queryString(q)}`);
    if (!q.partnershipId) {
      visible = report.partnershipIds;
      fillPartnerships();
    }
    show(report, q);
    // Marked for tests and assistive tools: the figures on screen are those of this query.
    form.dataset.shown = queryString(q);
  });

  return {
    setShown(shown) {
      if (shown && !started) {
        started = true;
        form.requestSubmit();
      }
      live.setShown(shown);
    },
  };
}
