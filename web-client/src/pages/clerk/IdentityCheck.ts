import type { SignalClient } from '@rvw/protocol/client/SignalClient';
import type { IdentityResult } from '@rvw/protocol/caseRecord';
import { byId, messageFor, toast } from '../../ui/dom';
import type { CaseViewLike } from '../../ui/caseView';

const RESULT_LABELS: Readonly<Record<IdentityResult, string>> = { match: '人证一致', mismatch: '人证不一致' };

/**
 * 人证核验 on the clerk's screen (#18): once the counter has read the applicant's ID card, its chip
 * photo shows here, under the applicant's live face, and the clerk records what they see — 人证一致
 * or 人证不一致 — which goes into the case with the clerk's name (and into the audit chain: only the
 * result). The photo is fetched for the case on screen and let go with it; once the case is closed
 * the node has deleted it, and the panel hides.
 */
export class IdentityCheck {
  readonly #signal: SignalClient;
  readonly #onCase: (view: CaseViewLike) => void;
  #caseId: string | undefined;
  /** Which reading the photo shown belongs to (`caseId|readAt`). */
  #shown: string | undefined;
  #url: string | undefined;

  constructor(options: { signal: SignalClient; onCase: (view: CaseViewLike) => void }) {
    this.#signal = options.signal;
    this.#onCase = options.onCase;
    byId('btn-id-match').addEventListener('click', () => void this.#verify('match'));
    byId('btn-id-mismatch').addEventListener('click', () => void this.#verify('mismatch'));
  }

  /** Shows the case's reading and finding; hides the panel when there is none or the case is over. */
  render(view: CaseViewLike | undefined, closed: boolean): void {
    const card = view?.identity?.card;
    if (!view || !card || closed) return this.#hide();
    this.#caseId = view.id;
    byId('identity-panel').classList.remove('hidden');
    byId('chip-caption').textContent = card.sample ? '身份证芯片照片（样例数据：测试读卡器，非真实证件）' : '身份证芯片照片';
    const verdict = view.identity?.verdict;
    const status = byId('identity-status');
    status.textContent = verdict ? `核验结果：${RESULT_LABELS[verdict.result]}（${verdict.byName}，${verdict.at.slice(11, 16)}）` : '请对照芯片照片与申请人画面，确认是否为本人。';
    status.dataset.result = verdict?.result ?? '';
    for (const id of ['btn-id-match', 'btn-id-mismatch']) byId<HTMLButtonElement>(id).disabled = view.state !== 'in_session';
    const key = `${view.id}|${card.readAt}`;
    if (key !== this.#shown) {
      this.#shown = key;
      void this.#load(view.id, key);
    }
  }

  #hide(): void {
    byId('identity-panel').classList.add('hidden');
    byId<HTMLImageElement>('chip-photo').removeAttribute('src');
    if (this.#url) URL.revokeObjectURL(this.#url);
    this.#url = undefined;
    this.#shown = undefined;
    this.#caseId = undefined;
  }

  async #load(caseId: string, key: string): Promise<void> {
    try {
      const photo = await this.#signal.request('identity.photo', { caseId });
      if (this.#shown !== key) return;
      const bytes = Uint8Array.from(atob(photo.photoBase64), (c) => c.charCodeAt(0));
      if (this.#url) URL.revokeObjectURL(this.#url);
      this.#url = URL.createObjectURL(new Blob([bytes], { type: 'image/jpeg' }));
      byId<HTMLImageElement>('chip-photo').src = this.#url;
    } catch (e) {
      if (this.#shown === key) byId('identity-status').textContent = messageFor(e, '身份证照片未能载入，请稍后重试');
    }
  }

  async #verify(result: IdentityResult): Promise<void> {
    const caseId = this.#caseId;
    if (!caseId) return;
    try {
      this.#onCase(await this.#signal.request('identity.verify', { caseId, result }));
    } catch (e) {
      toast(messageFor(e, '核验结果未能保存，请重试'), 'error');
    }
  }
}
