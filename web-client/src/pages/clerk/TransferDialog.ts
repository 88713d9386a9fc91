import type { SignalClient } from '@rvw/protocol/client/SignalClient';
import type { ResponseOf } from '@rvw/protocol';
import { askInDialog } from '../../ui/askInDialog';
import type { CaseViewLike } from '../../ui/caseView';
import { byId, h, messageFor } from '../../ui/dom';

/** A colleague the case may go to, as `clerk.colleagues` answers. */
type Colleague = ResponseOf<'clerk.colleagues'>['colleagues'][number];

/** The server's bounds of the note (protocol: 2–500 characters after trimming). */
const NOTE_MIN = 2;
const NOTE_MAX = 500;

/** Where a colleague is now, in the words the dialog shows, and the badge's class. */
export function colleagueStatus(c: Colleague): { text: string; cls: string } {
  if (!c.online) return { text: '离线', cls: 'offline' };
  if (c.busy) return { text: '忙碌', cls: 'busy' };
  if (c.paused) return { text: '示忙', cls: 'paused' };
  return { text: '在线空闲', cls: 'free' };
}

/**
 * 转办 (`#transfer-dialog`): lists the colleagues the case may go to (`clerk.colleagues`: name and
 * 在线空闲/忙碌/示忙/离线, free ones first and the first of them chosen), asks for the note for them
 * (办理情况说明, required) and sends `case.transfer`. A refusal (the colleague was disabled
 * meanwhile, the case closed) opens the dialog again with the server's message, the choice and the
 * note kept. Resolves with the colleague it went to, or undefined when the clerk cancelled.
 */
export class TransferDialog {
  constructor(private readonly signal: SignalClient) {
    // A refusal of the last try (no note, the server's) goes once the clerk changes what it was about.
    const clear = (): void => byId('transfer-dialog').querySelector('.form-error')?.classList.add('hidden');
    byId('transfer-note').addEventListener('input', clear);
    byId('transfer-colleagues').addEventListener('change', clear);
  }

  async ask(view: CaseViewLike): Promise<{ to: Colleague; view: CaseViewLike } | undefined> {
    const dialog = byId<HTMLDialogElement>('transfer-dialog');
    const note = byId<HTMLTextAreaElement>('transfer-note');
    byId('transfer-case').textContent = `办件编号：${view.number ?? view.id}　${view.itemName}`;
    note.value = '';
    const inSession = view.state === 'in_session';
    let colleagues = await this.#colleagues(view.id);
    this.#renderColleagues(colleagues, inSession, undefined);
    let refusal: string | undefined;
    for (;;) {
      const answered = askInDialog(dialog, {
        validate: () => {
          if (!colleagues.length) return '没有可转交的同事：需为本地区负责该事项、账号有效的其他工作人员';
          if (!this.#chosen(colleagues)) return '请选择接手办理的同事';
          const text = note.value.trim();
          if (text.length < NOTE_MIN) return '请填写办理情况说明（至少 2 个字），便于同事接手';
          if (text.length > NOTE_MAX) return `办理情况说明不能超过 ${NOTE_MAX} 字`;
          return undefined;
        },
      });
      // askInDialog clears the error line as it opens; a refusal of the last try is shown now.
      if (refusal) showError(dialog, refusal);
      if (!(await answered)) return undefined;
      const to = this.#chosen(colleagues)!;
      try {
        return { to, view: await this.signal.request('case.transfer', { caseId: view.id, toStaffId: to.staffId, note: note.value.trim() }) };
      } catch (e) {
        refusal = messageFor(e, '转办未成功，请稍后重试');
        // The refusal may be about the colleague (disabled, no longer on the item): list them anew.
        colleagues = await this.#colleagues(view.id).catch(() => colleagues);
        this.#renderColleagues(colleagues, inSession, to.staffId);
      }
    }
  }

  async #colleagues(caseId: string): Promise<Colleague[]> {
    try {
      return (await this.signal.request('clerk.colleagues', { caseId })).colleagues;
    } catch (e) {
      throw new Error(messageFor(e, '未能读取可转交的同事，请稍后重试'));
    }
  }

  #chosen(colleagues: readonly Colleague[]): Colleague | undefined {
    const picked = byId('transfer-colleagues').querySelector<HTMLInputElement>('input[name="transfer-to"]:checked');
    return colleagues.find((c) => c.staffId === picked?.value);
  }

  /** The list, with `keep` chosen if it is still there, else the first (free ones come first). */
  #renderColleagues(colleagues: readonly Colleague[], inSession: boolean, keep: string | undefined): void {
    const list = byId('transfer-colleagues');
    const warning = byId('transfer-warning');
    const warn = (c: Colleague | undefined): void => {
      // The applicant waits in the call: someone not at a free desk leaves them waiting.
      const status = c && colleagueStatus(c);
      const text = inSession && status && status.cls !== 'free' ? `${c.name}当前${status.text}，申请人需在通话中等待其接手。` : '';
      warning.textContent = text;
      warning.classList.toggle('hidden', !text);
    };
    if (!colleagues.length) {
      list.replaceChildren(h('p', { className: 'muted' }, '本地区没有其他负责该事项的工作人员。'));
      warn(undefined);
      return;
    }
    const first = colleagues.find((c) => c.staffId === keep) ?? colleagues[0];
    list.replaceChildren(
      ...colleagues.map((c) => {
        const status = colleagueStatus(c);
        return h(
          'label',
          { className: 'colleague', 'data-staff': c.staffId },
          h('input', { type: 'radio', name: 'transfer-to', value: c.staffId, checked: c === first, onchange: () => warn(c) }),
          h('span', { className: 'colleague-name' }, c.name),
          h('span', { className: `badge colleague-status ${status.cls}` }, status.text),
        );
      }),
    );
    warn(first);
  }
}

function showError(dialog: HTMLDialogElement, message: string): void {
  const error = dialog.querySelector<HTMLElement>('.form-error');
  if (!error) return;
  error.textContent = message;
  error.classList.remove('hidden');
}
