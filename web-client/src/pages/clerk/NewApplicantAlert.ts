import { Chime } from '../../ui/chime';
import { byId } from '../../ui/dom';

/** What the alert needs of a queued case. */
export interface WaitingCase {
  caseId: string;
  itemName: string;
}

/** Where the 提示音 switch is remembered (per browser profile: a clerk's own machine). */
const SOUND_KEY = 'rvw.clerk.chime';
/** Before the page title while a new applicant waits unseen (the clerk may be in another tab). */
const TITLE_PREFIX = '【新申请人】';

/**
 * "A new applicant waits": a clerk watching the queue in a background tab, or looking away, is
 * told when the queue gains a case the page had not seen. Compares the case ids of each queue
 * refresh with the previous one (the first load only learns them), and for new ones shows the
 * banner (`#new-applicant`, until clicked or a case is accepted), prefixes the document title
 * (until the page is focused or clicked) and plays a chime if 提示音 is on and audio can run.
 * `data-chimes` on the banner counts the chimes actually started.
 */
export class NewApplicantAlert {
  /** The case ids of the last refresh; undefined until the first one. */
  #known: Set<string> | undefined;
  /** The new cases the banner tells of, oldest first, until dismissed or no longer waiting. */
  readonly #alerted = new Map<string, string>();
  readonly #chime = new Chime();
  readonly #baseTitle = document.title;
  #sound = localStorage.getItem(SOUND_KEY) !== 'off';
  #chimes = 0;

  constructor(
    /** The person clicked the banner about this case (the page moves the focus to its 受理). */
    private readonly onOpen: (caseId: string) => void,
  ) {
    const banner = byId('new-applicant');
    banner.addEventListener('click', () => {
      const newest = [...this.#alerted.keys()].at(-1);
      this.dismiss();
      if (newest) this.onOpen(newest);
    });
    byId('btn-chime').addEventListener('click', () => {
      this.#sound = !this.#sound;
      localStorage.setItem(SOUND_KEY, this.#sound ? 'on' : 'off');
      this.#renderSwitch();
    });
    this.#renderSwitch();
    // The title is for a clerk who is not looking at this page: looking at it again clears it.
    const seen = (): void => this.#restoreTitle();
    window.addEventListener('focus', seen);
    document.addEventListener('pointerdown', seen, true);
    document.addEventListener('keydown', seen, true);
  }

  /**
   * After each queue refresh. `quiet`: the clerk takes nobody new now (示忙, in a call), so new
   * cases are learned without an alert; cases that left the queue leave the banner.
   */
  update(queue: readonly WaitingCase[], quiet: boolean): void {
    const ids = new Set(queue.map((q) => q.caseId));
    const known = this.#known;
    this.#known = ids;
    for (const id of [...this.#alerted.keys()]) if (!ids.has(id)) this.#alerted.delete(id);
    const fresh = known && !quiet ? queue.filter((q) => !known.has(q.caseId)) : [];
    for (const q of fresh) this.#alerted.set(q.caseId, q.itemName);
    if (!this.#alerted.size) return this.dismiss();
    this.#renderBanner();
    if (!fresh.length) return;
    if (!document.title.startsWith(TITLE_PREFIX)) document.title = TITLE_PREFIX + this.#baseTitle;
    if (this.#sound) void this.#ring();
  }

  /** The clerk saw it (clicked the banner), accepted a case or paused: the banner and the title prefix go. */
  dismiss(): void {
    this.#alerted.clear();
    byId('new-applicant').classList.add('hidden');
    this.#restoreTitle();
  }

  async #ring(): Promise<void> {
    if (!(await this.#chime.play())) return;
    this.#chimes += 1;
    byId('new-applicant').dataset.chimes = String(this.#chimes);
  }

  #renderBanner(): void {
    const names = [...this.#alerted.values()];
    const newest = names.at(-1) ?? '';
    const text = byId('new-applicant-text');
    text.textContent = `有新的申请人等待接入：${newest}${names.length > 1 ? `（共 ${names.length} 位新申请人）` : ''}`;
    // A long item name is cut short in the header: the whole of it on hover.
    text.title = text.textContent;
    byId('new-applicant').classList.remove('hidden');
  }

  #renderSwitch(): void {
    const button = byId('btn-chime');
    button.setAttribute('aria-checked', String(this.#sound));
    button.textContent = this.#sound ? '提示音：开' : '提示音：关';
  }

  #restoreTitle(): void {
    if (document.title !== this.#baseTitle) document.title = this.#baseTitle;
  }
}
