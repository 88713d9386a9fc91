import type { DocumentType, ServiceLevel } from './adminTypes';

// Chinese labels of the admin page. The `satisfies` clauses tie each table to the server's enum:
// a level or document type added there fails this build until it has a label here. (Importing the
// server's SERVICE_LEVEL_LABELS would bundle zod and every schema into the page.)

/** 办理层级 labels (same text as SERVICE_LEVEL_LABELS in CatalogTypes.ts), in display order. */
export const LEVEL_LABELS = {
  national: '国家级',
  provincial: '省级',
  municipal: '市级',
  county: '县级',
  township: '乡镇级',
  village: '村级',
} as const satisfies Record<ServiceLevel, string>;

/** 出具文书 labels (as DOC_LABELS of the case pages), in display order. */
export const DOCUMENT_LABELS = {
  receipt: '受理回执',
  missing_notice: '容缺受理告知书',
  payment_certificate: '参保缴费证明',
  completion_notice: '办结通知书',
} as const satisfies Record<DocumentType, string>;

/** ISO weekday (1 = Monday) → label. */
export const WEEKDAY_LABELS: Readonly<Record<number, string>> = { 1: '周一', 2: '周二', 3: '周三', 4: '周四', 5: '周五', 6: '周六', 7: '周日' };

/** Staff roles. */
export const ROLE_LABELS: Readonly<Record<'admin' | 'clerk', string>> = { admin: '管理员', clerk: '异地窗口工作人员' };

/** The region code that stands for every region (a provincial administrator). */
export const ANY_REGION = '*';

/** A millisecond timestamp as Beijing time, e.g. 2025/6/3 14:05. */
export function formatTime(ms: number | undefined): string {
  if (!ms) return '—';
  return new Date(ms).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false, year: 'numeric', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}
