import type { AuditRow } from '@rvw/protocol/archive';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import { CALL_MODE_LABELS, DOCUMENT_TYPE_LABELS, MATERIAL_KIND_LABELS, RATING_LEVEL_LABELS, type CallMode, type DocumentType, type MaterialKind } from '@rvw/protocol/vocabulary';
import type { AuditEvent } from '../audit/AuditEvent.js';
import type { ArchiveNames } from './archiveNames.js';

// A case's audit chain as a person reads it: who did what, when, in words. The events' `data`
// never leaves the server as it is — it carries chat text and the application form's values —
// only the short descriptions below, chosen per action.

/** 操作: what each audit action means. An action not listed shows as its machine name. */
const ACTION_LABELS: Readonly<Record<string, string>> = {
  'case.opened': '窗口发起办件',
  'case.accepted': '受理',
  'case.abandoned': '申请人离开队列',
  'case.in_session': '继续办理',
  'case.pending_materials': '要求补正材料',
  'case.suspended': '挂起',
  'case.completed': '办结',
  'case.rejected': '不予受理',
  'case.transferred': '转办',
  'case.rated': '好差评',
  'fields.updated': '填写申请表',
  'material.captured': '提交材料',
  'material.waived': '容缺受理',
  'signature.confirmed': '申请人签名确认',
  'chat.added': '会话消息',
  'document.attached': '签章出具文书',
  'document.print_token_issued': '准备打印文书',
  'document.printed': '打印文书',
  'document.print_reported': '报告打印结果',
  'document.reprint_approved': '批准重新打印',
  'rating.followed_up': '差评整改',
  'evidence.exported': '导出证据包',
  'recording.viewed': '查看录像',
  'material.viewed': '在办件档案中查看材料',
  'chat.viewed': '在办件档案中查看会话记录',
  'recording.started': '开始录像',
  'recording.segment': '录像片段存档',
  'recording.interrupted': '录像中断',
  'recording.gap': '录像恢复',
  'recording.stopped': '录像结束',
  'recording.expired': '录像超过保存期限已删除',
  'call.mode': '通话模式调整',
  unreadable: '无法读取的记录',
};

const ROLE_LABELS: Readonly<Record<AuditEvent['actor']['role'], string>> = { counter: '申请地窗口', clerk: '受理人员', admin: '管理员', system: '系统' };
const TARGET_LABELS = { clerk: '受理人员', counter: '申请地窗口' } as const;

const text = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const minutes = (seconds: unknown) => {
  const s = typeof seconds === 'number' ? seconds : 0;
  return s < 60 ? `${s} 秒` : `${Math.floor(s / 60)} 分 ${s % 60} 秒`;
};

/** 通话模式调整: the mode the call went to, who asked, and the figures that decided it. */
function callModeDetail(d: Record<string, unknown>): string {
  const label = (m: unknown) => (typeof m === 'string' && m in CALL_MODE_LABELS ? CALL_MODE_LABELS[m as CallMode] : '');
  const m = (typeof d.measured === 'object' && d.measured !== null ? d.measured : {}) as Record<string, unknown>;
  const figures = [
    typeof m.availableKbps === 'number' ? `可用带宽 ${Math.round(m.availableKbps)} kbps` : '',
    typeof m.lossPct === 'number' ? `丢包 ${m.lossPct.toFixed(1)}%` : '',
    typeof m.rttMs === 'number' ? `往返时延 ${Math.round(m.rttMs)} ms` : '',
  ].filter(Boolean);
  const side = d.side === 'counter' ? '申请地窗口' : d.side === 'clerk' ? '受理人员' : '';
  return `${label(d.mode)}（${side}测得${figures.length ? `：${figures.join('，')}` : ''}）`;
}

/** The short description of an event, from the fields of its data that are safe to show. */
function detailOf(e: AuditEvent, record: CaseRecord, chatVisible: boolean): string {
  const d = e.data;
  const reason = text(d.reason);
  switch (e.action) {
    case 'case.opened':
      return text(d.number) ? `办件编号 ${text(d.number)}` : '';
    case 'case.accepted':
      return `排队等候 ${minutes(d.waitedSeconds)}`;
    case 'case.in_session':
    case 'case.pending_materials':
    case 'case.suspended':
    case 'case.completed':
    case 'case.rejected':
      return reason ? `原因：${reason}` : '';
    case 'case.transferred':
      return [`转给 ${text(d.toName) || text(d.to)}`, text(d.note)].filter(Boolean).join('：');
    case 'case.rated': {
      const target = d.target === 'clerk' || d.target === 'counter' ? TARGET_LABELS[d.target] : '';
      return `评价${target}：${RATING_LEVEL_LABELS[Number(d.score) - 1] ?? text(d.score)}`;
    }
    case 'fields.updated': {
      const n = Object.keys((d.set as Record<string, unknown> | undefined) ?? {}).length + ((d.removed as unknown[] | undefined) ?? []).length;
      return `修改 ${n} 项`;
    }
    case 'chat.viewed':
      return typeof d.lines === 'number' ? `共 ${d.lines} 条消息` : '';
    case 'material.captured':
    case 'material.viewed':
      return [text(d.name), MATERIAL_KIND_LABELS[d.kind as MaterialKind]].filter(Boolean).join('，');
    case 'material.waived': {
      const line = record.checklist.find((l) => l.materialId === d.materialId);
      return `${line?.name ?? text(d.materialId)}，期限 ${text(d.deadline)}${text(d.note) ? `，${text(d.note)}` : ''}`;
    }
    case 'chat.added':
      return chatVisible ? text(d.text) : '（内容仅办理双方可见）';
    case 'document.attached':
      return `${text(d.number)} ${DOCUMENT_TYPE_LABELS[d.type as DocumentType] ?? ''}`.trim();
    case 'document.print_token_issued':
    case 'document.printed':
    case 'document.reprint_approved':
      return text(d.number);
    case 'document.print_reported':
      return `${text(d.number)}${d.outcome === 'failure' ? '，打印失败' : d.outcome === 'success' ? '，打印成功' : ''}`;
    case 'rating.followed_up':
      return text(d.text);
    case 'recording.gap':
    case 'recording.interrupted':
      return reason;
    case 'call.mode':
      return callModeDetail(d);
    default:
      return '';
  }
}

/** 操作人: a person's or counter's name; the system for the nodes' own events. */
async function actorName(e: AuditEvent, names: ArchiveNames): Promise<string> {
  switch (e.actor.role) {
    case 'counter':
      return names.counter(e.actor.id);
    case 'clerk':
    case 'admin':
      return names.staff(e.actor.id);
    default:
      return '系统';
  }
}

/** The events of a case as rows of its audit timeline, in chain order. */
export async function auditTimeline(events: readonly AuditEvent[], record: CaseRecord, names: ArchiveNames, opts: { chatVisible: boolean }): Promise<AuditRow[]> {
  return Promise.all(
    events.map(async (e) => ({
      seq: e.seq,
      at: e.at,
      actor: await actorName(e, names),
      actorRole: ROLE_LABELS[e.actor.role] ?? '',
      action: e.action,
      label: ACTION_LABELS[e.action] ?? e.action,
      detail: detailOf(e, record, opts.chatVisible),
      hash: e.hash.slice(0, 12),
    })),
  );
}
