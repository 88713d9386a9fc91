import { ANY_REGION, DOCUMENT_TYPE_LABELS, SERVICE_LEVEL_LABELS, STAFF_ROLE_LABELS } from '@rvw/protocol';

// Chinese labels of the admin page. The shared ones come from the protocol's vocabulary (plain
// constants, no schema is bundled), so a level or document type added there has its label here.

/** 办理层级 labels, in display order. */
export const LEVEL_LABELS = SERVICE_LEVEL_LABELS;

/** 出具文书 labels, in display order. */
export const DOCUMENT_LABELS = DOCUMENT_TYPE_LABELS;

/** ISO weekday (1 = Monday) → label. */
export const WEEKDAY_LABELS: Readonly<Record<number, string>> = { 1: '周一', 2: '周二', 3: '周三', 4: '周四', 5: '周五', 6: '周六', 7: '周日' };

/** Staff roles. */
export const ROLE_LABELS = STAFF_ROLE_LABELS;

export { ANY_REGION };

/** A millisecond timestamp as Beijing time, e.g. 2025/6/3 14:05. */
export function formatTime(ms: number | undefined): string {
  if (!ms) return '—';
  return new Date(ms).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false, year: 'numeric', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}
