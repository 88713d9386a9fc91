import { ApiError } from '../auth/ApiError';
import { byId, h, toast } from '../ui/dom';

/** A problem found in the browser before anything is sent; its message is shown like the server's. */
export class Invalid extends Error {
  override readonly name = 'Invalid';
}

/** Throws {@link Invalid} with `message` unless `ok`. */
export function check(ok: boolean, message: string): asserts ok {
  if (!ok) throw new Invalid(message);
}

/** The trimmed value of an input, select or textarea. */
export function valueOf(id: string): string {
  return byId<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>(id).value.trim();
}

/** Sets an input's, select's or textarea's value. */
export function setValue(id: string, value: string | number): void {
  byId<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>(id).value = String(value);
}

/** The text to show for a refusal: the server's (Chinese) message, plus its per-field issues when it sent any. */
export function messageOf(error: unknown): string {
  if (error instanceof Invalid) return error.message;
  if (error instanceof ApiError) {
    const issues = Array.isArray(error.details?.issues) ? (error.details.issues as { path?: string; message?: string }[]) : [];
    // The catalogue already lists the issues in its message; the auth API only says "invalid request".
    const extra = issues.filter((i) => i.message && !error.message.includes(i.message)).map((i) => (i.path ? `${i.path}：${i.message}` : i.message));
    return extra.length ? `${error.message}（${extra.join('；')}）` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Shows `error` in the form's error line (or clears it when undefined). */
export function showFormError(form: HTMLFormElement, error: unknown): void {
  const line = form.querySelector<HTMLElement>('.form-error');
  if (!line) return;
  line.textContent = error === undefined ? '' : messageOf(error);
  line.classList.toggle('hidden', error === undefined);
}

/**
 * Wires a form: on submit, clears the old error, runs `action` with the submit button disabled
 * (no double submission) and shows a client-side or server refusal in the form's error line.
 */
export function onSubmit(form: HTMLFormElement, action: () => Promise<void>): void {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const button = form.querySelector<HTMLButtonElement>('button[type="submit"]');
    if (button?.disabled) return;
    showFormError(form, undefined);
    if (button) button.disabled = true;
    try {
      await action();
    } catch (e) {
      showFormError(form, e);
    } finally {
      if (button) button.disabled = false;
    }
  });
}

/**
 * Runs a table action (delete, revoke …) after the user confirms `question` (when given); a
 * refusal is shown as an error toast, which stays until dismissed.
 */
export async function runAction(action: () => Promise<void>, question?: string): Promise<void> {
  if (question && !confirm(question)) return;
  try {
    await action();
  } catch (e) {
    toast(messageOf(e), 'error');
  }
}

/**
 * Puts a form into "edit `id`" mode (id field read-only, title and cancel button switched) or
 * back into "new" mode when `id` is undefined.
 */
export function setEditing(form: HTMLFormElement, idInput: HTMLInputElement, id: string | undefined): void {
  if (id === undefined) delete form.dataset.editing;
  else form.dataset.editing = id;
  idInput.readOnly = id !== undefined;
  const title = form.querySelector<HTMLElement>('h2[data-title-new]');
  if (title) title.textContent = (id === undefined ? title.dataset.titleNew : title.dataset.titleEdit) ?? '';
  form.querySelector('.form-cancel')?.classList.toggle('hidden', id === undefined);
  showFormError(form, undefined);
}

/** The id under edit, or undefined in "new" mode. */
export function editingId(form: HTMLFormElement): string | undefined {
  return form.dataset.editing;
}

/** Replaces a select's options, keeping the current choice when it is still offered. */
export function fillSelect(select: HTMLSelectElement, options: { value: string; label: string }[], placeholder?: string): void {
  const current = select.value;
  select.replaceChildren(
    ...(placeholder ? [h('option', { value: '' }, placeholder)] : []),
    ...options.map((o) => h('option', { value: o.value }, o.label)),
  );
  if (options.some((o) => o.value === current)) select.value = current;
}

/**
 * Replaces a box of checkboxes (`name` = value), keeping what was ticked; `checked` ticks more.
 * Returns nothing: read the choice back with {@link checkedValues}.
 */
export function fillChecks(box: HTMLElement, options: { value: string; label: string; hint?: string }[], checked: Iterable<string> = []): void {
  const ticked = new Set([...checkedValues(box), ...checked]);
  box.replaceChildren(
    ...options.map((o) =>
      h(
        'label',
        { className: 'check' },
        h('input', { type: 'checkbox', value: o.value, checked: ticked.has(o.value) }),
        ` ${o.label}`,
        o.hint ? h('span', { className: 'hint' }, ` ${o.hint}`) : null,
      ),
    ),
  );
  if (!options.length) box.append(h('span', { className: 'muted' }, '（暂无可选项）'));
}

/** Values of the ticked checkboxes in a box, in display order. */
export function checkedValues(box: HTMLElement): string[] {
  return [...box.querySelectorAll<HTMLInputElement>('input[type="checkbox"]:checked')].map((c) => c.value);
}

/** Ticks exactly the given values in a box of checkboxes. */
export function setChecked(box: HTMLElement, values: Iterable<string>): void {
  const want = new Set(values);
  for (const c of box.querySelectorAll<HTMLInputElement>('input[type="checkbox"]')) c.checked = want.has(c.value);
}

/** A small table button. */
export function tableButton(label: string, action: string, onclick: () => void, kind: 'secondary' | 'danger' = 'secondary'): HTMLButtonElement {
  return h('button', { type: 'button', className: `small ${kind}`, 'data-action': action, onclick }, label);
}

/** A placeholder row for an empty table. */
export function emptyRow(columns: number, text = '暂无'): HTMLTableRowElement {
  return h('tr', {}, h('td', { colspan: columns, className: 'muted' }, text));
}
