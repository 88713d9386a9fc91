import { CASE_STATE_LABELS, type CaseState } from '@rvw/protocol';
import { askInDialog } from '../../ui/askInDialog';
import type { CaseViewLike } from '../../ui/caseView';
import { byId } from '../../ui/dom';

const HANDLING: readonly string[] = ['in_session', 'pending_materials', 'suspended'] satisfies CaseState[];

/**
 * 收到转办: a colleague handed this clerk a case (`case.transfer`); the node tells the clerk's
 * queue-watching pages with a `case.changed` of a case they do not follow yet. This decides
 * which changed cases are such a handover and offers each once (`#handover-dialog`: 接手办理 or
 * 稍后处理; a case left for later stays in 我的办件 with its own 接手办理).
 *
 * The notification does not say why the case changed: a case counts as handed over when this
 * clerk holds it, it is being handled, and the page did not know it as its own (accepted, opened or listed in 我的办件 here, or offered already).
 * A case this clerk's other tab accepts just now was in this page's queue a moment ago and is
 * passed over for that reason. Who handed it over and the note come from the record's
 * `lastTransfer` when it names this clerk.
 */
export class HandoverOffer {
  /** Cases this page knows the clerk holds: never offered as a handover. */
  readonly #known = new Set<string>();
  /** Cases this page handed to a colleague. */
  readonly #handedOn = new Set<string>();
  /** Offers waiting for the dialog (one shows at a time), oldest first. */
  readonly #waiting: CaseViewLike[] = [];
  #showing = false;

  constructor(
    private readonly page: {
      /** The signed-in clerk. */
      staffId: () => string | undefined;
      /** The page is in a call now: taking another case over would leave it. */
      inCall: () => boolean;
      /** 接手办理: link the desk to the case's call and open it (the accept's path). */
      takeOver: (caseId: string) => Promise<void>;
    },
  ) {}

  /** The page accepted, opened or listed this case as the clerk's own: not a handover. */
  know(caseId: string): void {
    this.#known.add(caseId);
  }

  /**
   * The clerk handed this case on: its later changes are the colleague's and are not read (a read
   * would also subscribe this page to all of them), unless 我的办件 lists it again (转回).
   */
  handedOn(caseId: string): void {
    this.#known.delete(caseId);
    this.#handedOn.add(caseId);
  }

  /** 我的办件 lists these cases as being handled by this clerk: those handed on before came back, to be read. */
  returned(caseIds: readonly string[]): string[] {
    return caseIds.filter((id) => this.#handedOn.delete(id));
  }

  /** Whether a `case.changed` of this case is worth reading as a possible handover. */
  mayBeHandover(caseId: string, state: string): boolean {
    return HANDLING.includes(state) && !this.#known.has(caseId) && !this.#handedOn.has(caseId);
  }

  /** The changed case as read now (`case.get`): offers it if it was handed to this clerk. */
  consider(view: CaseViewLike): void {
    if (this.#known.has(view.id)) return;
    if (view.clerkId === undefined || view.clerkId !== this.page.staffId() || !HANDLING.includes(view.state)) return;
    this.#known.add(view.id);
    this.#waiting.push(view);
    void this.#showNext();
  }

  async #showNext(): Promise<void> {
    if (this.#showing) return;
    const view = this.#waiting.shift();
    if (!view) return;
    this.#showing = true;
    try {
      const inSession = view.state === 'in_session';
      byId('handover-text').textContent = `收到转办的办件：${view.number ?? view.id} ${view.itemName}`;
      const from = view.lastTransfer && view.lastTransfer.to === this.page.staffId() ? view.lastTransfer : undefined;
      byId('handover-detail').textContent = [
        `申请人：${view.applicant.name}`,
        `状态：${CASE_STATE_LABELS[view.state] ?? view.state}${inSession ? '（申请人正在通话中等待）' : ''}`,
        from ? `转办人：${from.fromName}` : '',
        from ? `转办说明：${from.note}` : '',
        view.fields.note ? `办理意见：${view.fields.note}` : '',
      ]
        .filter(Boolean)
        .join('　');
      const busy = this.page.inCall();
      byId('handover-hint').textContent = busy ? '您正在通话中：结束当前通话后，可在“我的办件”中接手办理。' : inSession ? '接手后，您的摄像头和麦克风将接入申请人的通话。' : '接手后即可继续办理。';
      byId<HTMLButtonElement>('btn-take-over').disabled = busy;
      if (await askInDialog(byId<HTMLDialogElement>('handover-dialog'))) await this.page.takeOver(view.id);
    } finally {
      this.#showing = false;
      void this.#showNext();
    }
  }
}
