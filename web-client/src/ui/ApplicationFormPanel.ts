import type { FormField } from '@rvw/protocol/catalog';
import type { FormValue } from '@rvw/protocol/caseRecord';
import type { SignalClient } from '@rvw/protocol/client/SignalClient';
import { FORM_SIDE_LABELS, type FormSide } from '@rvw/protocol/vocabulary';
import type { CaseViewLike } from './caseView';
import { chinaClock } from './chinaTime';
import { h, mark, messageFor } from './dom';

/** How long typing may pause before the entry is saved (and the other screen shows it). */
const TYPING_PAUSE_MS = 200;
/** States in which the form may be filled (the node's rule; outside them the entries are read-only). */
const FILLABLE = ['queued', 'in_session', 'pending_materials'];

/** One typed entry on screen: what the node last confirmed and what is under way. */
interface Entry {
  field: FormField;
  input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
  by: HTMLElement;
  problem: HTMLElement;
  /** The value and rev the node last confirmed for this entry (rev 0: never written). */
  synced: { value: string; rev: number };
  timer: number | undefined;
  saving: boolean;
  /** Typed again while a save was under way: save once more when it answers. */
  again: boolean;
  /** The node refused our value over a newer one; shown until the person chooses. */
  conflict: FormValue | undefined;
}

/**
 * 同屏帮办 (#18): the item's application form (申请表), on the counter's screen and the clerk's at
 * once. Either side types; each entry is saved a moment after typing pauses, under a
 * compare-and-set on that entry alone (`form.set` with the entry's rev), and the other screen
 * shows it with who wrote it. When both wrote the same entry, the one that came second is refused
 * with the other's value: both values stay on that screen with a choice (采用对方的 / 保留我的),
 * so neither is lost unseen. Entries taken from the applicant (name, ID number) are shown, not
 * typed, masked as the rest of that screen's view.
 */
export class ApplicationFormPanel {
  readonly #signal: SignalClient;
  readonly #side: FormSide;
  readonly #onCase: (view: CaseViewLike) => void;
  readonly #card: HTMLElement;
  readonly #body: HTMLElement;
  readonly #status: HTMLElement;
  #caseId: string | undefined;
  readonly #entries = new Map<string, Entry>();

  constructor(options: { signal: SignalClient; side: FormSide; card: HTMLElement; body: HTMLElement; onCase: (view: CaseViewLike) => void }) {
    this.#signal = options.signal;
    this.#side = options.side;
    this.#onCase = options.onCase;
    this.#card = options.card;
    this.#body = options.body;
    this.#status = h('p', { className: 'form-status', role: 'status', 'aria-live': 'polite' });
    this.#body.before(this.#status);
  }

  /** Shows the case's form as the node last sent it; hides the card when there is none. */
  render(view: CaseViewLike | undefined): void {
    const form = view?.form;
    if (!view || !form || form.fields.length === 0) return this.#clear();
    if (view.id !== this.#caseId) this.#build(view.id, form.fields);
    this.#card.classList.remove('hidden');
    this.#status.textContent = confirmationText(view);
    this.#status.dataset.state = form.confirmed === undefined ? 'unsigned' : form.confirmed.changes === form.changes ? 'confirmed' : 'changed';
    const fillable = FILLABLE.includes(view.state);
    for (const field of form.fields) {
      if (field.source) {
        const out = this.#body.querySelector<HTMLElement>(`#form-${field.key}`);
        if (out) out.textContent = derivedValue(view, field) || '—';
        continue;
      }
      const e = this.#entries.get(field.key);
      if (!e) continue;
      e.input.disabled = !fillable;
      const server = form.values[field.key];
      const rev = server?.rev ?? 0;
      if (rev === e.synced.rev) continue;
      const mine = e.input.value;
      const untouched = mine === e.synced.value;
      e.synced = { value: server?.value ?? '', rev };
      e.by.textContent = server ? writtenBy(server, this.#side) : (field.hint ?? '');
      if (untouched || mine === e.synced.value) {
        e.input.value = e.synced.value;
        if (server && server.side !== this.#side) {
          // When the other side's write reached this screen (the tests and the bench read it).
          mark(`form:shown:${field.key}:${rev}`);
          flash(e.input.parentElement!);
        }
      } else if (server && server.side !== this.#side) {
        // The other side wrote this entry while we were typing in it: both stay on screen.
        this.#showConflict(e, server);
      }
    }
  }

  #clear(): void {
    for (const e of this.#entries.values()) window.clearTimeout(e.timer);
    this.#entries.clear();
    this.#caseId = undefined;
    this.#body.replaceChildren();
    this.#card.classList.add('hidden');
  }

  #build(caseId: string, fields: readonly FormField[]): void {
    this.#clear();
    this.#caseId = caseId;
    for (const field of fields) {
      const id = `form-${field.key}`;
      const label = h('label', { for: id }, field.label, field.required ? h('span', { className: 'required', 'aria-hidden': 'true' }, ' *') : null);
      if (field.source) {
        // A whole ID number on one line: split, it misreads.
        const wide = field.source === 'applicant.idNumber' ? ' wide' : '';
        this.#body.append(h('div', { className: `form-row derived${wide}`, 'data-key': field.key }, label, h('output', { id, className: 'derived-value' }), h('p', { className: 'form-by muted' }, '取自申请人身份信息')));
        continue;
      }
      const input = inputFor(field, id);
      const by = h('p', { className: 'form-by muted', id: `${id}-by` }, field.hint ?? '');
      const problem = h('div', { className: 'form-problem hidden', id: `${id}-problem`, role: 'alert' });
      const entry: Entry = { field, input, by, problem, synced: { value: '', rev: 0 }, timer: undefined, saving: false, again: false, conflict: undefined };
      this.#entries.set(field.key, entry);
      const soon = () => {
        window.clearTimeout(entry.timer);
        entry.timer = window.setTimeout(() => void this.#save(entry), TYPING_PAUSE_MS);
      };
      input.addEventListener('input', field.type === 'select' || field.type === 'date' ? () => void this.#save(entry) : soon);
      input.addEventListener('blur', () => void this.#save(entry));
      this.#body.append(h('div', { className: field.type === 'textarea' ? 'form-row wide' : 'form-row', 'data-key': field.key }, label, input, by, problem));
    }
  }

  async #save(e: Entry): Promise<void> {
    window.clearTimeout(e.timer);
    const caseId = this.#caseId;
    if (!caseId || e.conflict || e.input.disabled) return;
    if (e.saving) {
      e.again = true;
      return;
    }
    const value = e.input.value;
    if (value.trim() === e.synced.value) return;
    e.saving = true;
    e.by.textContent = '正在保存…';
    mark(`form:sent:${e.field.key}:${e.synced.rev + 1}`);
    try {
      const view = await this.#signal.request('form.set', { caseId, key: e.field.key, value, expectedRev: e.synced.rev });
      if (this.#caseId !== caseId) return;
      this.#hideProblem(e);
      this.#onCase(view);
      const saved = view.form?.values[e.field.key];
      if (saved) e.by.textContent = writtenBy(saved, this.#side);
    } catch (err) {
      if (this.#caseId !== caseId) return;
      const details = (err as { code?: string; details?: { current?: FormValue } }).details;
      if ((err as { code?: string }).code === 'FORM_FIELD_CONFLICT' && details?.current) this.#showConflict(e, details.current);
      else this.#showProblem(e, messageFor(err, `“${e.field.label}”未能保存，请重试`));
      e.by.textContent = e.synced.rev > 0 ? '' : (e.field.hint ?? '');
    } finally {
      e.saving = false;
      if (e.again && this.#caseId === caseId) {
        e.again = false;
        void this.#save(e);
      }
    }
  }

  /** Both values on screen, the choice the person's: nothing is overwritten unseen. */
  #showConflict(e: Entry, theirs: FormValue): void {
    e.conflict = theirs;
    const mine = e.input.value;
    e.problem.replaceChildren(
      h('p', {}, `${writtenBy(theirs, this.#side)}为“${theirs.value || '（空）'}”，与您填写的“${mine || '（空）'}”不同。您的内容尚未保存。`),
      h(
        'p',
        { className: 'form-choice' },
        h('button', { className: 'secondary take-theirs', type: 'button', onclick: () => this.#resolve(e, 'theirs') }, '采用对方的'),
        ' ',
        h('button', { className: 'keep-mine', type: 'button', onclick: () => this.#resolve(e, 'mine') }, '保留我的并保存'),
      ),
    );
    e.problem.classList.remove('hidden');
    e.problem.parentElement!.classList.add('conflict');
  }

  #resolve(e: Entry, choice: 'theirs' | 'mine'): void {
    const theirs = e.conflict;
    if (!theirs) return;
    e.conflict = undefined;
    this.#hideProblem(e);
    e.synced = { value: theirs.value, rev: theirs.rev };
    e.by.textContent = writtenBy(theirs, this.#side);
    if (choice === 'theirs') e.input.value = theirs.value;
    else void this.#save(e);
  }

  #showProblem(e: Entry, text: string): void {
    e.problem.replaceChildren(h('p', {}, text));
    e.problem.classList.remove('hidden');
  }

  #hideProblem(e: Entry): void {
    e.problem.replaceChildren();
    e.problem.classList.add('hidden');
    e.problem.parentElement!.classList.remove('conflict');
  }
}

function inputFor(field: FormField, id: string): HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement {
  const limit = field.maxLength ?? (field.type === 'textarea' ? 1000 : 100);
  switch (field.type) {
    case 'select':
      return h('select', { id }, h('option', { value: '' }, '请选择'), ...(field.options ?? []).map((o) => h('option', { value: o }, o)));
    case 'textarea':
      return h('textarea', { id, rows: 2, maxlength: limit });
    case 'date':
      return h('input', { id, type: 'date' });
    case 'number':
      return h('input', { id, inputmode: 'decimal', maxlength: 20 });
    default:
      return h('input', { id, maxlength: limit, autocomplete: 'off' });
  }
}

/** Where the form stands: what is still to fill, and whether the applicant's signature confirms it. */
function confirmationText(view: CaseViewLike): string {
  const form = view.form!;
  const missing = form.fields.filter((f) => f.required && !f.source && !form.values[f.key]?.value).length;
  if (form.confirmed && form.confirmed.changes === form.changes) return `申请人已于 ${chinaClock(form.confirmed.at)} 签字确认本表；此后如再修改，需重新签字。`;
  if (form.confirmed) return '申请表在申请人签字后有修改，需申请人核对后重新签字确认。';
  return missing > 0 ? `尚有 ${missing} 项必填项未填写；填写完成后，请申请人核对并签字确认。` : '必填项已填写完毕，请申请人核对后签字确认。';
}

/** An applicant-derived entry as this screen's view has it (masked where the view is). */
function derivedValue(view: CaseViewLike, field: FormField): string {
  switch (field.source) {
    case 'applicant.name':
      return view.applicant.name;
    case 'applicant.idNumber':
      return view.applicant.idNumber;
    case 'applicant.phone':
      return view.applicant.phone ?? '';
    default:
      return '';
  }
}

/** "受理地工作人员 张三 10:32:05 填写" — or "我方" for what this screen's side wrote. */
function writtenBy(v: FormValue, mySide: FormSide): string {
  const who = v.side === mySide ? '我方' : v.side === 'clerk' ? `${FORM_SIDE_LABELS.clerk} ${v.byName}` : FORM_SIDE_LABELS.counter;
  return `${who} ${chinaClock(v.at)} ${v.value === '' ? '清空' : '填写'}`;
}

/** A short highlight where the other side just wrote, so the eye finds it. */
function flash(row: HTMLElement): void {
  row.classList.remove('changed');
  void row.offsetWidth;
  row.classList.add('changed');
}
