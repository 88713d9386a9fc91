import type { LiveStats } from '@rvw/protocol/stats';
import { byId, h } from '../ui/dom';
import { adminApi } from './adminApi';
import type { AdminData } from './AdminData';
import { emptyRow, messageOf } from './forms';
import { formatBeijingTime, formatCount, formatDuration } from './statsFormat';

/** How often the live view asks again while it is seen. */
const POLL_MS = 15_000;

/**
 * 实时情况: who waits in which queue now, the longest wait, clerks online, busy and paused (示忙). Asked for when
 * the tab is shown, every 15 s while it stays in view (not while another tab or window is in
 * front: nobody reads it then), and with 刷新.
 */
export class LiveView {
  readonly #data: AdminData;
  #timer: number | undefined;
  #shown = false;
  #loading = false;

  constructor(data: AdminData) {
    this.#data = data;
    byId('stats-live-refresh').addEventListener('click', () => void this.refresh());
    document.addEventListener('visibilitychange', () => this.#schedule());
  }

  /** The tab was shown (refresh now, then poll) or hidden (stop polling). */
  setShown(shown: boolean): void {
    this.#shown = shown;
    if (shown) void this.refresh();
    this.#schedule();
  }

  /** Asks the server now and shows the answer (or why there is none). */
  async refresh(): Promise<void> {
    if (this.#loading) return;
    this.#loading = true;
    const error = byId('stats-live-error');
    try {
      const live = await adminApi<LiveStats>('GET', '/api/admin/stats/live');
      error.classList.add('hidden');
      this.#show(live);
    } catch (e) {
      error.textContent = `实时情况加载失败：${messageOf(e)}`;
      error.classList.remove('hidden');
    } finally {
      this.#loading = false;
    }
  }

  #schedule(): void {
    window.clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#shown && document.visibilityState === 'visible') this.#timer = window.setInterval(() => void this.refresh(), POLL_MS);
  }

  #show(live: LiveStats): void {
    const waiting = live.queues.reduce((n, q) => n + q.waiting, 0);
    const longest = live.queues.reduce((m, q) => (q.waiting > 0 ? Math.max(m, q.longestWaitS) : m), -1);
    const set = (key: string, text: string) => {
      byId('stats-live').querySelector<HTMLElement>(`[data-live="${key}"]`)!.textContent = text;
    };
    set('waiting', formatCount(waiting));
    set('longestWait', longest < 0 ? '无人等待' : formatDuration(longest));
    set('clerksOnline', formatCount(live.clerks.online));
    set('clerksBusy', formatCount(live.clerks.busy));
    set('clerksPaused', formatCount(live.clerks.paused));
    byId('stats-live-at').textContent = `更新于 ${formatBeijingTime(live.at).slice(11)}`;

    const partnershipName = (id: string) => this.#data.lists.partnerships.find((p) => p.id === id)?.name ?? id;
    const queues = [...live.queues].sort((a, b) => b.waiting - a.waiting || b.longestWaitS - a.longestWaitS);
    const rows = queues.map((q) =>
      h(
        'tr',
        { 'data-queue': `${q.partnershipId}/${q.servingRegion}/${q.itemCode}`, className: q.waiting === 0 ? 'disabled' : '' },
        h('td', {}, partnershipName(q.partnershipId)),
        h('td', {}, this.#data.regionName(q.servingRegion)),
        h('td', {}, q.itemName),
        h('td', { className: 'num', 'data-figure': 'waiting' }, formatCount(q.waiting)),
        h('td', { className: 'num', 'data-figure': 'longestWait' }, q.waiting > 0 ? formatDuration(q.longestWaitS) : '—'),
      ),
    );
    byId('stats-live-body').replaceChildren(...(rows.length ? rows : [emptyRow(5, '没有可查看的排队队列')]));
  }
}
