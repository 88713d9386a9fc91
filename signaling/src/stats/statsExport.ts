import ExcelJS from 'exceljs';
import { RATING_LEVEL_LABELS, STATS_DIMENSION_LABELS, STATS_DIMENSIONS, type PoorRating, type StatsFigures, type StatsReport } from '@rvw/protocol/stats';

// The two exports an administrator downloads: the 好差评 ledger (one row per rating, the fields
// a 好差评 report asks for) and the case figures of a report (totals, per day, per dimension).
// Each as CSV (UTF-8 with BOM, so Excel and WPS open the Chinese text) or XLSX (exceljs).

/** The service channel (渠道) every rating here comes through. */
export const RATING_CHANNEL = '跨域通办远程虚拟窗口';

/** A table: header row and data rows. */
export interface Table {
  name: string;
  header: string[];
  rows: (string | number)[][];
}

const TARGET_LABELS = { clerk: '异地受理人员', counter: '本地窗口' } as const;

/** One row per rating: 评价对象, 渠道, 等级, 时间, 事项, 评价内容, 整改情况 (and the case number). */
export function ratingsTable(ratings: readonly PoorRating[]): Table {
  return {
    name: '好差评明细',
    header: ['办件编号', '评价对象', '对象类型', '渠道', '等级', '分值', '评价时间', '事项', '评价内容', '整改情况', '整改时间'],
    rows: ratings.map((r) => [
      r.caseNumber ?? r.caseId,
      r.subject,
      TARGET_LABELS[r.target],
      RATING_CHANNEL,
      RATING_LEVEL_LABELS[r.score - 1] ?? String(r.score),
      r.score,
      beijingTime(r.at),
      r.itemName,
      r.comment ?? '',
      r.followUp?.text ?? (r.score <= 2 ? '待整改' : ''),
      r.followUp ? beijingTime(r.followUp.at) : '',
    ]),
  };
}

const FIGURE_HEADER = ['新建', '受理', '办结', '不予受理', '离开队列', '等待中位数(秒)', '等待P90(秒)', '平均办理时长(秒)', '差评', ...RATING_LEVEL_LABELS.map((l) => `评价-${l}`)];

function figureCells(f: StatsFigures): (string | number)[] {
  const bound = (s: number | null) => (s === null ? '' : s === -1 ? '>86400' : s);
  return [
    f.opened,
    f.accepted,
    f.completed,
    f.rejected,
    f.abandoned,
    bound(f.waitP50S),
    bound(f.waitP90S),
    f.handlingMeanS ?? '',
    f.poor,
    ...f.ratings.clerk.map((n, i) => n + f.ratings.counter[i]!),
  ];
}

/** The report's figures: a 合计 row, one row per day, one per key of every dimension. */
export function figuresTable(report: StatsReport): Table {
  const rows: (string | number)[][] = [['合计', `${report.from} 至 ${report.to}`, ...figureCells(report.totals)]];
  for (const d of report.byDay) rows.push(['日期', d.day, ...figureCells(d.figures)]);
  for (const dim of STATS_DIMENSIONS) for (const r of report.by[dim]) rows.push([STATS_DIMENSION_LABELS[dim], r.label, ...figureCells(r.figures)]);
  return { name: '办件统计', header: ['维度', '名称', ...FIGURE_HEADER], rows };
}

/** RFC 4180 CSV with a UTF-8 BOM; cells starting with = + - @ are quoted and prefixed (no formula injection in Excel). */
export function toCsv(table: Table): Buffer {
  const cell = (v: string | number) => {
    let s = String(v);
    if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) || s !== String(v) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [table.header, ...table.rows].map((r) => r.map(cell).join(','));
  return Buffer.from(`\uFEFF${lines.join('\r\n')}\r\n`, 'utf8');
}

/** One worksheet named after the table, header row bold and frozen. */
export async function toXlsx(table: Table): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  book.creator = RATING_CHANNEL;
  const sheet = book.addWorksheet(table.name, { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.addRow(table.header).font = { bold: true };
  for (const r of table.rows) sheet.addRow(r);
  sheet.columns.forEach((c) => {
    c.width = 14;
  });
  return Buffer.from(await book.xlsx.writeBuffer());
}

function beijingTime(iso: string): string {
  return new Date(Date.parse(iso) + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
}
