import type { ArchiveCaseDetail, AuditBreak } from '@rvw/protocol/archive';
import { h } from '../ui/dom';
import { emptyRow } from './forms';

/** Why a chain breaks, in words an administrator can pass on. */
const BREAK_REASONS: Readonly<Record<AuditBreak, string>> = {
  HASH_MISMATCH: '该条记录的内容与其校验值不符，记录被修改过',
  PREV_HASH_MISMATCH: '该条记录与上一条记录衔接不上，记录被删除、插入或调换过',
  SEQ_MISMATCH: '记录序号不连续，记录被删除、插入或调换过',
  TRUNCATED: '办件当前版本之前的审计记录缺失，记录被截断过',
  HEAD_MISMATCH: '最后一条审计记录与办件当前版本不符',
  CASE_MISMATCH: '该条记录属于其他办件',
};

/** An ISO instant as Beijing time to the second, e.g. 2026-03-02 09:00:05. */
export function beijingSeconds(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? '—' : new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
}

/** The verification result as one sentence: intact with its count, or where and why it breaks. */
export function verdictText(verdict: ArchiveCaseDetail['audit']['verdict']): string {
  if (verdict.ok) return `审计链完整，共 ${verdict.count} 条记录`;
  return `审计链在第 ${verdict.at} 条记录处断开：${BREAK_REASONS[verdict.reason]}。请勿以此记录为准，并联系系统管理员核查。`;
}

/**
 * 审计记录: the verification result above the case's audit chain as a timeline (时间, 操作人,
 * 操作, 说明), oldest first; the record where the chain breaks is marked.
 */
export function auditTrail(audit: ArchiveCaseDetail['audit']): HTMLElement {
  const brokenAt = audit.verdict.ok ? undefined : audit.verdict.at;
  const rows = audit.rows.map((r) =>
    h(
      'tr',
      { 'data-seq': String(r.seq), 'data-action': r.action, className: r.seq === brokenAt ? 'audit-break' : undefined },
      h('td', { className: 'num' }, String(r.seq)),
      h('td', { className: 'nowrap' }, beijingSeconds(r.at)),
      h('td', {}, r.actor, r.actorRole ? h('div', { className: 'hint' }, r.actorRole) : null),
      h('td', { className: 'nowrap' }, r.label),
      h('td', { className: 'audit-detail' }, r.detail || h('span', { className: 'muted' }, '—')),
      h('td', { className: 'hash', title: '该条记录的校验值（前 12 位）' }, r.hash),
    ),
  );
  return h(
    'div',
    { className: 'card', id: 'archive-audit' },
    h('h2', {}, '审计记录 ', h('span', { className: 'hint' }, '（每一步操作都记入审计链，逐条校验，任何修改、删除、插入或调换都会被发现）')),
    h('p', { id: 'archive-verdict', className: `archive-verdict ${audit.verdict.ok ? 'intact' : 'broken'}`, role: 'status', 'data-ok': String(audit.verdict.ok) }, verdictText(audit.verdict)),
    h(
      'div',
      { className: 'table-scroll mt8' },
      h(
        'table',
        { className: 'data audit' },
        h('thead', {}, h('tr', {}, h('th', { className: 'num' }, '序号'), h('th', {}, '时间'), h('th', {}, '操作人'), h('th', {}, '操作'), h('th', {}, '说明'), h('th', {}, '校验值'))),
        h('tbody', { id: 'archive-audit-body' }, ...(rows.length ? rows : [emptyRow(6, '没有审计记录')])),
      ),
    ),
  );
}
