import type { StatsReport } from '@rvw/protocol/stats';
import { BarChart, LineChart, type BarSeriesOption, type LineSeriesOption } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, type GridComponentOption, type LegendComponentOption, type TooltipComponentOption } from 'echarts/components';
import { init, use, type ComposeOption, type EChartsType } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { RATING_LEVEL_LABELS } from '@rvw/protocol/vocabulary';

// The statistics' two charts (cases per day, ratings by level) with Apache ECharts, imported part
// by part so the page carries only bars, lines, axes, legend, tooltip and the canvas renderer.
// The page's CSP allows no inline styles: the canvas renderer draws everything, and the tooltip
// renders as rich text on the canvas (its default HTML tooltip would inject styled markup).

use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

type ChartOption = ComposeOption<BarSeriesOption | LineSeriesOption | GridComponentOption | LegendComponentOption | TooltipComponentOption>;

/** The site's colours (styles.css): blue, green, red, amber. */
const COLOURS = { opened: '#1a56a8', completed: '#2e7d32', rejected: '#c62828', clerk: '#1a56a8', counter: '#b26a00' } as const;
const TEXT = '#1c2430';
const MUTED = '#5b6778';

/** Large enough for older eyes; in the page's own (CJK) font. */
function baseOption(): ChartOption {
  const fontFamily = getComputedStyle(document.body).fontFamily;
  return {
    animation: false,
    textStyle: { fontFamily, fontSize: 14, color: TEXT },
    legend: { top: 0, itemGap: 24, textStyle: { fontSize: 15, color: TEXT } },
    grid: { left: 8, right: 16, top: 44, bottom: 8, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' },
    tooltip: { trigger: 'axis', renderMode: 'richText', textStyle: { fontSize: 14 } },
  };
}

const countAxis = { type: 'value', minInterval: 1, axisLabel: { fontSize: 13, color: MUTED } } as const;

/** Cases per day: 新建 as a line, 办结 and 不予受理 as stacked bars (the day's closed cases). */
function daysOption(report: StatsReport): ChartOption {
  const days = report.byDay;
  return {
    ...baseOption(),
    xAxis: { type: 'category', data: days.map((d) => d.day.slice(5)), axisLabel: { fontSize: 13, color: MUTED, hideOverlap: true } },
    yAxis: countAxis,
    series: [
      { name: '办结', type: 'bar', stack: 'closed', color: COLOURS.completed, barMaxWidth: 28, data: days.map((d) => d.figures.completed) },
      { name: '不予受理', type: 'bar', stack: 'closed', color: COLOURS.rejected, barMaxWidth: 28, data: days.map((d) => d.figures.rejected) },
      { name: '新建', type: 'line', color: COLOURS.opened, symbolSize: 7, lineStyle: { width: 3 }, data: days.map((d) => d.figures.opened) },
    ],
  };
}

/** Ratings by level, 非常不满意 … 非常满意, the clerk's and the counter's stacked. */
function ratingsOption(report: StatsReport): ChartOption {
  const { clerk, counter } = report.totals.ratings;
  return {
    ...baseOption(),
    xAxis: { type: 'category', data: [...RATING_LEVEL_LABELS], axisLabel: { fontSize: 14, color: TEXT, interval: 0 } },
    yAxis: countAxis,
    series: [
      { name: '对异地受理人员', type: 'bar', stack: 'level', color: COLOURS.clerk, barMaxWidth: 56, data: [...clerk] },
      { name: '对本地窗口', type: 'bar', stack: 'level', color: COLOURS.counter, barMaxWidth: 56, data: [...counter] },
    ],
  };
}

/**
 * The two charts of the statistics tab. Each is created once its box has a size (a chart started
 * in a hidden panel would draw into nothing) and follows its box's size from then on: the tab
 * shown again, the window resized.
 */
export class StatsCharts {
  readonly #days: LazyChart;
  readonly #ratings: LazyChart;

  constructor(daysEl: HTMLElement, ratingsEl: HTMLElement) {
    this.#days = new LazyChart(daysEl);
    this.#ratings = new LazyChart(ratingsEl);
  }

  /** Draws `report`, replacing what was drawn before. */
  show(report: StatsReport): void {
    this.#days.set(daysOption(report));
    this.#ratings.set(ratingsOption(report));
  }
}

/** One ECharts instance on a box, made when the box first has a size, resized with it. */
class LazyChart {
  readonly #el: HTMLElement;
  #chart: EChartsType | undefined;
  #pending: ChartOption | undefined;

  constructor(el: HTMLElement) {
    this.#el = el;
    new ResizeObserver(() => this.#fit()).observe(el);
  }

  set(option: ChartOption): void {
    this.#pending = option;
    this.#fit();
  }

  #fit(): void {
    if (this.#el.clientWidth === 0 || this.#el.clientHeight === 0) return;
    if (!this.#chart) this.#chart = init(this.#el, undefined, { renderer: 'canvas', locale: 'ZH' });
    else this.#chart.resize();
    if (this.#pending) this.#chart.setOption(this.#pending, { notMerge: true });
    this.#pending = undefined;
  }
}
