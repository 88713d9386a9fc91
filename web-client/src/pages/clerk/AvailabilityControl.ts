import type { SignalClient } from '@rvw/protocol/client/SignalClient';
import type { ResponseOf } from '@rvw/protocol';
import { chinaClock } from '../../ui/chinaTime';
import { byId, messageFor, toast } from '../../ui/dom';

/** The clerk's 示忙 state as the server keeps it. */
export type Availability = ResponseOf<'clerk.availability'>;

/**
 * 示忙/示闲 on the clerk's queue view: the state line (`#availability`) and its button
 * (`#btn-availability`). The server holds the state (one per clerk, for every tab and node), so
 * this never guesses: it shows what the last answer said, read again on every (re)connect and
 * queue change (a toggle in another tab publishes one), and the button asks the server to change it.
 */
export class AvailabilityControl {
  #state: Availability | undefined;
  /** A toggle waiting for its answer: the button stays disabled so it is not sent twice. */
  #toggling = false;
  /** Requests numbered as sent; an answer older than the last one shown is stale (a read racing a toggle). */
  #sent = 0;
  #shown = 0;

  constructor(
    private readonly signal: SignalClient,
    /** Called whenever the shown state changes (the queue's 受理 buttons follow it). */
    private readonly onChange: (state: Availability) => void,
  ) {
    byId('btn-availability').addEventListener('click', () => void this.#toggle());
    this.#render();
  }

  /** 示忙 now, as far as this page knows (unknown counts as available: the server refuses anyway). */
  get paused(): boolean {
    return this.#state?.paused ?? false;
  }

  /** Reads the state from the server. A failed read keeps the last state (the next change or reconnect reads again). */
  async read(): Promise<void> {
    const n = ++this.#sent;
    try {
      this.#apply(n, await this.signal.request('clerk.availability', {}));
    } catch {
      // The socket dropped or the server is busy: the state shown stays until the next read.
    }
  }

  async #toggle(): Promise<void> {
    if (!this.#state || this.#toggling) return;
    const paused = !this.#state.paused;
    this.#toggling = true;
    this.#render();
    const n = ++this.#sent;
    try {
      this.#apply(n, await this.signal.request('clerk.availability', { paused }));
    } catch (e) {
      toast(messageFor(e, paused ? '未能示忙，请检查网络后重试' : '未能示闲，请检查网络后重试'), 'error');
    } finally {
      this.#toggling = false;
      this.#render();
    }
  }

  #apply(n: number, state: Availability): void {
    if (n < this.#shown) return;
    this.#shown = n;
    const changed = this.#state?.paused !== state.paused || this.#state.since !== state.since;
    this.#state = state;
    this.#render();
    if (changed) this.onChange(state);
  }

  #render(): void {
    const line = byId('availability');
    const button = byId<HTMLButtonElement>('btn-availability');
    const s = this.#state;
    if (!s) {
      line.textContent = '正在读取接待状态…';
      line.className = 'availability unknown';
    } else if (s.paused) {
      line.textContent = `示忙中${s.since ? `（自 ${chinaClock(s.since)} 起）` : ''}：不会接入新的申请人`;
      line.className = 'availability paused';
    } else {
      line.textContent = '示闲：正在接待新的申请人';
      line.className = 'availability available';
    }
    button.textContent = s?.paused ? '示闲' : '示忙';
    button.title = s?.paused ? '恢复接待：队列中的申请人可以受理' : '暂停接待：暂不接入新的申请人（正在办理的不受影响）';
    button.className = s?.paused ? 'resume' : 'secondary';
    button.disabled = !s;
    // Not `disabled` while the answer is awaited: that would drop a keyboard user's focus; clicks are ignored instead.
    button.setAttribute('aria-disabled', String(this.#toggling));
  }
}
