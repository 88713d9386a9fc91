import { CASE_STATE_LABELS, FINAL_CASE_STATES, RATING_LEVEL_LABELS, type CaseState } from '@rvw/protocol';
import { requestJson } from '../../auth/requestJson';
import { pageNodeGone } from '../../ui/nodeMoved';
import { byId, h, messageFor } from '../../ui/dom';

/**
 * One line of `GET /api/clerk/cases` (mirrors signaling/src/cases/listClerkCases.ts: the protocol
 * package does not declare HTTP answers).
 */
export interface ClerkCaseLine {
  id: string;
  number: string | null;
  itemName: string;
  state: CaseState;
  applicantName: string;
  acceptedAt: string;
  closedAt: string | null;
  rating: number | null;
  documents: number;
  /** Its call was recorded (segments may since have expired: the playback page says so). */
  recorded: boolean;
}

/** Lines per read: a screenful; 加载更多 reads the next ones. */
const PAGE = 20;
/** The route's own maximum (createClerkRouter): a refresh re-reads at most this many lines. */
const MAX_LIMIT = 100;
/** Notifications come in bursts (a transition, then the recorder's marks): one read for a burst. */
const REFRESH_DELAY_MS = 300;

const HANDLING: readonly CaseState[] = ['in_session', 'pending_materials', 'suspended'];

/**
 * 我的办件 on the queue view: the cases this clerk holds or held (the server's index follows the
 * holder, so a case handed over by 转办 moves from one clerk's list to the other's), newest 受理
 * first, with 加载更多. It re-reads itself when one of its cases changes state or a case it does
 * not list yet changes (just accepted or received by 转办). A case in session that this page is
 * not in the call of offers 接手办理 (a 转办 left for later, or a call of another tab).
 */
export class MyCases {
  #lines: ClerkCaseLine[] = [];
  #more = false;
  /** Where the next page starts (the server's `nextCursor`). */
  #cursor: string | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Reads numbered as sent: an answer older than the one shown would bring back a moved case. */
  #sent = 0;
  #shown = 0;

  constructor(
    private readonly actions: {
      /** The case whose call this page is in (its row offers nothing). */
      inCall: () => string | undefined;
      /** 接手办理 on a row: link the desk to the case's call and open it. */
      takeOver: (caseId: string) => void;
      /** After each read: the cases listed as being handled by this clerk. */
      listed: (handling: string[]) => void;
    },
  ) {
    byId('btn-more-cases').addEventListener('click', () => void this.#loadMore());
  }

  /** The lines shown now. */
  get lines(): readonly ClerkCaseLine[] {
    return this.#lines;
  }

  /** Reads the list again, as many lines as are shown (at least a page). */
  async refresh(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // The page's node died (the socket moved on): the list waits for the page on the live node.
    if (pageNodeGone()) return;
    const n = ++this.#sent;
    const limit = Math.min(MAX_LIMIT, Math.max(PAGE, this.#lines.length));
    try {
      const page = await requestJson<{ cases: ClerkCaseLine[]; more: boolean; nextCursor: string | null }>('GET', `/api/clerk/cases?limit=${limit}`);
      if (n < this.#shown) return;
      this.#shown = n;
      this.#lines = page.cases;
      this.#more = page.more;
      this.#cursor = page.nextCursor;
      this.#render();
    } catch (e) {
      this.#status(messageFor(e, '未能读取我的办件，请稍后刷新'));
    }
  }

  /**
   * A `case.changed` this page heard: a listed case whose state moved, or a case not listed (just
   * accepted, or handed over to this clerk), makes the list read again, once for a burst.
   */
  noteChange(caseId: string, state: string): void {
    const line = this.#lines.find((l) => l.id === caseId);
    if (line && line.state === state) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.refresh(), REFRESH_DELAY_MS);
  }

  /** Whether the list shows `caseId` as being handled (accepted or taken over before). */
  handles(caseId: string): boolean {
    return this.#lines.some((l) => l.id === caseId && HANDLING.includes(l.state));
  }

  async #loadMore(): Promise<void> {
    const last = this.#lines.at(-1);
    if (!last) return this.refresh();
    const button = byId<HTMLButtonElement>('btn-more-cases');
    button.disabled = true;
    const n = ++this.#sent;
    try {
      const cursor = this.#cursor;
      if (!cursor) return;
      const page = await requestJson<{ cases: ClerkCaseLine[]; more: boolean; nextCursor: string | null }>('GET', `/api/clerk/cases?limit=${PAGE}&cursor=${encodeURIComponent(cursor)}`);
      if (n < this.#shown) return;
      this.#shown = n;
      // A case that moved up meanwhile (accepted again after a 转办) is kept once.
      const seen = new Set(this.#lines.map((l) => l.id));
      this.#lines = [...this.#lines, ...page.cases.filter((l) => !seen.has(l.id))];
      this.#more = page.more;
      this.#cursor = page.nextCursor;
      this.#render();
    } catch (e) {
      this.#status(messageFor(e, '未能读取更多办件，请稍后重试'));
    } finally {
      button.disabled = false;
    }
  }

  /** Re-draws the rows (also when the page enters or leaves a call: 接手办理 follows it). */
  render(): void {
    this.#render();
  }

  #render(): void {
    this.actions.listed(this.#lines.filter((l) => HANDLING.includes(l.state)).map((l) => l.id));
    const body = byId('my-cases');
    byId('btn-more-cases').classList.toggle('hidden', !this.#more);
    this.#status(this.#lines.length ? `已显示 ${this.#lines.length} 件${this.#more ? '' : '（全部）'}` : '');
    if (!this.#lines.length) {
      body.replaceChildren(h('tr', {}, h('td', { colspan: 8, className: 'muted' }, '暂无办件')));
      return;
    }
    const inCall = this.actions.inCall();
    body.replaceChildren(
      ...this.#lines.map((l) =>
        h(
          'tr',
          { 'data-case': l.id, 'data-state': l.state },
          h('td', { className: 'nowrap' }, l.number ?? l.id),
          h('td', {}, l.itemName),
          h('td', { className: 'nowrap' }, l.applicantName),
          h('td', { className: 'nowrap' }, h('span', { className: `badge state-${l.state}` }, CASE_STATE_LABELS[l.state] ?? l.state)),
          h('td', { className: 'nowrap' }, chinaDateTime(l.acceptedAt)),
          h('td', { className: 'nowrap' }, l.closedAt ? chinaDateTime(l.closedAt) : '—'),
          h('td', { className: 'nowrap' }, l.rating === null ? h('span', { className: 'muted' }, '未评价') : `${RATING_LEVEL_LABELS[l.rating - 1] ?? ''}（${l.rating} 星）`),
          h('td', { className: 'nowrap' }, this.#action(l, inCall)),
        ),
      ),
    );
  }

  #action(l: ClerkCaseLine, inCall: string | undefined): HTMLElement | null {
    // The clerk who handled a closed case may watch its recording, if its call was recorded.
    if (FINAL_CASE_STATES.includes(l.state)) {
      if (!l.recorded) return null;
      return h('a', { className: 'link-button small recording', href: `/recording.html?case=${encodeURIComponent(l.id)}`, target: '_blank', rel: 'noopener' }, '录像回放');
    }
    if (l.state === 'in_session' && l.id !== inCall) {
      return h('button', { type: 'button', className: 'secondary take-over', onclick: () => this.actions.takeOver(l.id) }, '接手办理');
    }
    return null;
  }

  #status(text: string): void {
    byId('my-cases-status').textContent = text;
  }
}

/** `YYYY-MM-DD HH:MM` of an ISO instant in China time (the halls' clocks, whatever the browser's zone). */
function chinaDateTime(iso: string): string {
  return new Date(Date.parse(iso) + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');
}
