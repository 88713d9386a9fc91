import type { PoorRating } from '@rvw/protocol/stats';
import type { Rating } from '@rvw/protocol/caseRecord';
import { h, toast } from '../ui/dom';
import { adminApi, seg } from './adminApi';
import { check, emptyRow, onSubmit } from './forms';
import { formatBeijingTime } from './statsFormat';
import { RATING_LEVEL_LABELS } from '@rvw/protocol/vocabulary';

/** Who was rated, as the list names the side. */
const TARGET_LABELS = { clerk: '异地受理人员', counter: '本地窗口' } as const;

/** What `POST …/follow-up` answers. */
interface FollowUpAnswer {
  caseId: string;
  version: number;
  ratings: { clerk?: Rating; counter?: Rating };
}

/**
 * 差评及整改: every 差评 of the range with what was done about it. A 差评 without a follow-up has
 * a box for the 整改情况; the server decides who may fill it in (the rated side's region) and
 * its refusal is shown in the row.
 */
export class PoorRatingsList {
  readonly #body: HTMLElement;

  constructor(body: HTMLElement) {
    this.#body = body;
  }

  /** Shows the report's 差评 (newest first, as the server sends them). */
  show(list: readonly PoorRating[]): void {
    const rows = list.map((r) =>
      h(
        'tr',
        { 'data-case': r.caseId, 'data-target': r.target },
        h('td', { className: 'nowrap' }, r.caseNumber ?? r.caseId),
        h('td', { className: 'subject' }, r.subject, h('div', { className: 'hint' }, TARGET_LABELS[r.target])),
        h('td', {}, h('span', { className: 'badge q-poor', 'data-score': String(r.score) }, RATING_LEVEL_LABELS[r.score - 1] ?? String(r.score))),
        h('td', { className: 'nowrap' }, formatBeijingTime(r.at)),
        h('td', { className: 'item' }, r.itemName),
        h('td', { className: 'comment' }, r.comment ?? h('span', { className: 'muted' }, '（未填写）')),
        h('td', { className: 'follow-up' }, r.followUp ? followUpText(r.followUp) : this.#followUpForm(r)),
      ),
    );
    this.#body.replaceChildren(...(rows.length ? rows : [emptyRow(7, '此期间没有差评')]));
  }

  #followUpForm(r: PoorRating): HTMLFormElement {
    const text = h('textarea', { rows: 2, maxlength: 1000, 'aria-label': `办件 ${r.caseNumber ?? r.caseId} 的整改情况`, placeholder: '填写整改措施，如：已约谈受理人员' });
    const form = h('form', { className: 'follow-up-form', novalidate: true }, text, h('button', { type: 'submit', className: 'small' }, '提交整改'), h('p', { className: 'form-error hidden', role: 'alert' }));
    onSubmit(form, async () => {
      const value = text.value.trim();
      check(value.length >= 2, '请填写整改情况');
      const answer = await adminApi<FollowUpAnswer>('POST', `/api/admin/stats/poor/${seg(r.caseId)}/follow-up`, { target: r.target, text: value });
      const done = answer.ratings[r.target]?.followUp;
      form.replaceWith(done ? followUpText(done) : followUpText({ text: value, at: new Date().toISOString() }));
      toast(`已记录办件 ${r.caseNumber ?? r.caseId} 的整改情况`);
    });
    return form;
  }
}

function followUpText(f: { text: string; at: string }): HTMLElement {
  return h('div', { className: 'follow-up-done' }, f.text, h('div', { className: 'hint' }, `整改时间 ${formatBeijingTime(f.at)}`));
}
