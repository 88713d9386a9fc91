import type { ArchiveCaseDetail, ArchiveChat } from '@rvw/protocol/archive';
import { CASE_STATE_LABELS, CHECKLIST_STATUS_LABELS, DOCUMENT_TYPE_LABELS, MATERIAL_KIND_LABELS, RATING_LEVEL_LABELS } from '@rvw/protocol/vocabulary';
import { h } from '../ui/dom';
import { adminApi, seg } from './adminApi';
import { auditTrail } from './archiveAuditTrail';
import { emptyRow } from './forms';
import { formatBeijingTime } from './statsFormat';

/** Names of the case fields the page knows; any other shows as its key. */
const FIELD_LABELS: Readonly<Record<string, string>> = { note: '办理意见', result: '办理结果', statement: '申请事项说明', phone: '联系电话' };
const TARGET_LABELS = { clerk: '异地受理人员', counter: '本地窗口' } as const;

const time = (iso: string | null) => (iso ? formatBeijingTime(iso) : '—');
const size = (bytes: number) => (bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`);

/** A card with a heading (and an optional hint after it). */
function card(title: string, hint: string | null, ...content: (Node | string | null)[]): HTMLElement {
  return h('div', { className: 'card' }, h('h2', {}, title, hint ? h('span', { className: 'hint' }, ` （${hint}）`) : null), ...content);
}

/** A table with its head and rows, or a placeholder row when there are none. */
function table(className: string, head: string[], rows: HTMLTableRowElement[], empty: string): HTMLElement {
  return h(
    'div',
    { className: 'table-scroll' },
    h('table', { className: `data ${className}` }, h('thead', {}, h('tr', {}, ...head.map((t) => h('th', {}, t)))), h('tbody', {}, ...(rows.length ? rows : [emptyRow(head.length, empty)]))),
  );
}

const row = (...cells: (Node | string)[]) => h('tr', {}, ...cells.map((c) => h('td', {}, c)));

/**
 * The archive's case page: everything the server lets this administrator see of one case, in the
 * order a person checks a file — who and what, the materials, the documents issued, the rating,
 * the conversation, the recording and evidence, and last the audit trail with its verification.
 * Read-only: nothing on it changes the case, but opening a material is recorded in its audit chain.
 */
export class ArchiveCasePage {
  readonly #root: HTMLElement;
  readonly #onBack: () => void;
  /** The audit trail on screen: read again after an opening this page made was recorded in it. */
  #audit: HTMLElement | undefined;

  constructor(root: HTMLElement, onBack: () => void) {
    this.#root = root;
    this.#onBack = onBack;
  }

  /** Loads and shows the case; a refusal (another region's case, say) throws with the server's words. */
  async open(caseId: string): Promise<void> {
    const detail = await adminApi<ArchiveCaseDetail>('GET', `/api/admin/cases/${seg(caseId)}`);
    this.#show(detail);
  }

  #show(d: ArchiveCaseDetail): void {
    const c = d.case;
    const back = h('button', { type: 'button', className: 'secondary', id: 'archive-back', onclick: () => this.#onBack() }, '← 返回查询结果');
    this.#root.replaceChildren(
      h('div', { className: 'archive-case-head' }, back, h('h2', { id: 'archive-case-title' }, `办件 ${c.number ?? c.id}`), h('span', { className: `badge state-${c.state}` }, CASE_STATE_LABELS[c.state])),
      this.#facts(d),
      ...(c.fields.length ? [card('申请表与办理意见', null, table('fields', ['项目', '内容'], c.fields.map((f) => row(FIELD_LABELS[f.key] ?? f.key, f.value)), ''))] : []),
      this.#materials(d),
      this.#documents(d),
      this.#ratings(d),
      this.#chat(d),
      this.#links(d),
      (this.#audit = auditTrail(d.audit)),
    );
    this.#root.dataset.caseId = c.id;
  }

  /**
   * A material or the conversation was opened: the chain has a new event (material.viewed,
   * chat.viewed), shown without reopening the case. A failed re-read leaves the trail as it was.
   */
  #refreshAudit(caseId: string): void {
    adminApi<ArchiveCaseDetail>('GET', `/api/admin/cases/${seg(caseId)}`).then(
      (d) => {
        if (this.#root.dataset.caseId !== caseId || this.#audit === undefined) return;
        const fresh = auditTrail(d.audit);
        this.#audit.replaceWith(fresh);
        this.#audit = fresh;
      },
      () => undefined,
    );
  }

  #facts(d: ArchiveCaseDetail): HTMLElement {
    const c = d.case;
    const facts: [string, string][] = [
      ['办件编号', c.number ?? '（无编号）'],
      ['状态', CASE_STATE_LABELS[c.state]],
      ['事项', c.itemName],
      ['合作关系', c.partnershipName],
      ['办理地区', c.servingRegionName],
      ['申请地区', c.applicantRegionName],
      ['申请窗口', c.counterName],
      ['申请人', c.applicant.name],
      ['身份证号', c.applicant.idNumber],
      ['联系电话', c.applicant.phone ?? '—'],
      ['受理人员', c.clerkName ?? '尚未受理'],
      ['申请时间', time(c.createdAt)],
      ['受理时间', time(c.acceptedAt)],
      ['办结时间', time(c.closedAt)],
    ];
    if (c.closeReason) facts.push([c.state === 'rejected' ? '不予受理理由' : '办结说明', c.closeReason]);
    if (c.stateReason) facts.push(['当前说明', c.stateReason]);
    return card(
      '基本信息',
      '身份证号和电话号码已隐去部分数字',
      h('dl', { className: 'archive-facts', id: 'archive-facts' }, ...facts.map(([k, v]) => h('div', { 'data-fact': k }, h('dt', {}, k), h('dd', {}, v)))),
    );
  }

  #materials(d: ArchiveCaseDetail): HTMLElement {
    const checklist = d.checklist.map((l) =>
      row(
        l.name,
        l.mandatory ? '必需' : '可选',
        h('span', { className: `badge checklist-${l.status}` }, CHECKLIST_STATUS_LABELS[l.status]),
        l.waiver ? `${l.waiver.note}（补交期限 ${l.waiver.deadline}）` : '—',
      ),
    );
    // Opened in the page, not in a tab of its own: the browser's bare image page breaks the CSP,
    // and the administrator stays beside the file. Each opening is one audited request.
    const viewer = h('figure', { className: 'archive-material-viewer hidden', id: 'archive-material-viewer' });
    const open = (m: ArchiveCaseDetail['materials'][number], url: string) => {
      const close = h('button', { type: 'button', className: 'secondary', id: 'archive-material-close', onclick: () => viewer.classList.add('hidden') }, '关闭');
      const content =
        m.mime === 'application/pdf'
          ? h('a', { className: 'link-button', href: url, target: '_blank', rel: 'noopener' }, '在新窗口打开 PDF')
          : h('img', { id: 'archive-material-img', src: url, alt: m.name, onload: () => this.#refreshAudit(d.case.id) });
      viewer.replaceChildren(h('figcaption', {}, h('strong', {}, m.name), ` · ${MATERIAL_KIND_LABELS[m.kind]} · ${time(m.capturedAt)} · ${m.capturedBy} `, close), content);
      viewer.classList.remove('hidden');
      viewer.scrollIntoView({ block: 'nearest' });
    };
    const captured = d.materials.map((m) => {
      const cells: (Node | string)[] = [m.name, MATERIAL_KIND_LABELS[m.kind], size(m.size), time(m.capturedAt), m.capturedBy];
      if (d.materialsViewable) {
        const url = m.viewUrl;
        cells.push(url ? h('button', { type: 'button', className: 'secondary view-material', onclick: () => open(m, url) }, '查看') : '—');
      }
      return row(...cells);
    });
    return card(
      '材料',
      d.materialsViewable ? '每次查看材料都会记入本办件的审计记录' : '材料内容仅办理地区的管理员可在此查看，此处只列出目录',
      h('h3', { className: 'archive-sub' }, '材料清单'),
      table('checklist', ['材料', '是否必需', '状态', '容缺说明'], checklist, '此事项没有申请材料'),
      h('h3', { className: 'archive-sub' }, '已提交材料'),
      table('materials-list', ['名称', '方式', '大小', '提交时间', '提交方', ...(d.materialsViewable ? ['内容'] : [])], captured, '没有提交材料'),
      viewer,
      h('p', { className: 'mt8', id: 'archive-signature' }, '申请人签名：', d.signed ? '已在窗口屏幕上签字确认' : h('span', { className: 'muted' }, '尚未签字')),
    );
  }

  #documents(d: ArchiveCaseDetail): HTMLElement {
    const rows = d.documents.map((doc) =>
      h(
        'tr',
        { 'data-document': doc.number },
        h('td', { className: 'nowrap' }, doc.number, doc.sample ? h('div', { className: 'hint' }, '演示数据样本') : null),
        h('td', {}, DOCUMENT_TYPE_LABELS[doc.type]),
        h('td', {}, doc.signer),
        h('td', {}, doc.issuedBy),
        h('td', { className: 'nowrap' }, time(doc.issuedAt)),
        h('td', { className: 'nowrap' }, doc.printed ? `已打印 ${doc.printed} 次` : '未打印'),
        h(
          'td',
          { className: 'nowrap' },
          doc.verifyUrl ? h('a', { className: 'link-button', href: doc.verifyUrl, target: '_blank', rel: 'noopener' }, '打开并核验') : h('span', { className: 'muted' }, '未找到存档'),
        ),
      ),
    );
    return card('出具文书', '核验页显示签章是否有效、文件是否被改动', table('documents', ['文书编号', '文书类型', '签章', '出具人', '出具时间', '打印', ''], rows, '没有出具文书'));
  }

  #ratings(d: ArchiveCaseDetail): HTMLElement {
    const rows = d.ratings.map((r) =>
      h(
        'tr',
        { 'data-target': r.target },
        h('td', {}, TARGET_LABELS[r.target]),
        h('td', {}, h('span', { className: `badge ${r.score <= 2 ? 'q-poor' : r.score >= 4 ? 'q-good' : 'q-fair'}` }, RATING_LEVEL_LABELS[r.score - 1] ?? String(r.score))),
        h('td', {}, r.comment ?? h('span', { className: 'muted' }, '（未填写）')),
        h('td', { className: 'nowrap' }, time(r.at)),
        h('td', {}, r.followUp ? `${r.followUp.text}（${r.followUp.by}，${time(r.followUp.at)}）` : r.score <= 2 ? h('span', { className: 'muted' }, '尚未整改') : '—'),
      ),
    );
    return card('好差评', null, table('ratings', ['评价对象', '等级', '评价内容', '时间', '整改情况'], rows, '申请人尚未评价'));
  }

  #chat(d: ArchiveCaseDetail): HTMLElement {
    const chatTable = (lines: ArchiveChat['lines']) =>
      table('chat-lines', ['时间', '发言方', '内容'], lines.map((l) => row(time(l.at), l.role === 'clerk' ? '受理人员' : l.role === 'counter' ? '申请窗口' : '系统', l.text)), '没有会话记录');
    if (d.chat !== null) return card('会话', null, chatTable(d.chat));
    const url = d.chatUrl;
    if (url === null) return card('会话', null, h('p', { className: 'muted', id: 'archive-chat' }, '会话内容仅办理双方和办理地区的管理员可见'));
    // The serving region's administrators read it on request: each reading is an audit event.
    const body = h('div', { id: 'archive-chat' });
    const error = h('p', { className: 'form-error', role: 'alert' });
    const open = h(
      'button',
      {
        type: 'button',
        className: 'secondary',
        id: 'archive-chat-open',
        onclick: () => {
          open.disabled = true;
          error.textContent = '';
          adminApi<ArchiveChat>('GET', url).then(
            (chat) => {
              body.replaceChildren(chatTable(chat.lines));
              this.#refreshAudit(d.case.id);
            },
            (e: Error) => {
              error.textContent = e.message;
              open.disabled = false;
            },
          );
        },
      },
      '查看会话记录',
    );
    body.append(open, error);
    return card('会话', '每次查看都会记入本办件的审计记录', body);
  }

  #links(d: ArchiveCaseDetail): HTMLElement {
    const { recording, evidence } = d.links;
    const custodians = `办理地区（${d.case.servingRegionName}）的管理员和受理人员`;
    const note = [
      // Both links follow the same rule (the case's custodians): without either, say who has them.
      !recording && !evidence ? `录像回放和证据包导出仅限${custodians}。` : '',
      evidence && !recording ? '本办件没有录像。' : '',
      evidence ? '证据包含办件记录、审计链、材料、签名和文书，由办理地区签章；每次导出都记入审计链。' : '',
    ].join('');
    return card(
      '录像与证据',
      null,
      recording || evidence
        ? h(
            'p',
            { className: 'actions', id: 'archive-links' },
            recording ? h('a', { className: 'link-button', id: 'archive-recording', href: recording, target: '_blank', rel: 'noopener' }, '录像回放') : null,
            evidence ? h('a', { className: 'link-button', id: 'archive-evidence', href: evidence, download: true }, '导出证据包') : null,
          )
        : null,
      h('p', { className: recording || evidence ? 'hint' : '', id: 'archive-links-note' }, note),
    );
  }
}
