/** Minimal DOM building for the pages (no framework: terminals in halls are modest machines). */

type Attrs = Record<string, string | number | boolean | ((ev: Event) => void) | undefined>;

/** Creates an element with attributes (`on*` become listeners) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string | null | undefined | false)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (k === 'className') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** The element with this id (throws when the page lacks it: a bug, not a user error). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
}

/** How long a message stays: long enough to read an error twice, an info once. */
const TOAST_MS = { info: 4000, error: 8000 } as const;
/** More than this would cover the page; the oldest goes first. */
const MAX_TOASTS = 3;

/**
 * Shows a short message in the page's toast corner (where no control is); it goes away by itself
 * (info after ~4 s, errors after ~8 s) or with its ×. At most three are visible; a message already
 * on screen is not stacked twice.
 */
export function toast(message: string, kind: 'info' | 'error' = 'info'): void {
  let box = document.getElementById('toasts');
  if (!box) {
    box = h('div', { id: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(box);
  }
  for (const old of box.querySelectorAll<HTMLElement>('.toast')) if (old.dataset.message === message) old.remove();
  const item = h(
    'div',
    { className: `toast toast-${kind}`, 'data-message': message, ...(kind === 'error' ? { role: 'alert' } : {}) },
    h('span', { className: 'toast-text' }, message),
    h('button', { type: 'button', className: 'toast-close', 'aria-label': '关闭', onclick: () => item.remove() }, '×'),
  );
  box.append(item);
  while (box.children.length > MAX_TOASTS) box.firstElementChild?.remove();
  window.setTimeout(() => item.remove(), TOAST_MS[kind]);
}

/**
 * The text of an error fit for a person: the server's and our own messages are Chinese and say
 * what to do; anything else (a browser or library message in English) becomes `fallback`.
 */
export function messageFor(e: unknown, fallback: string): string {
  const text = e instanceof Error ? e.message : typeof e === 'string' ? e : '';
  return /[\u4e00-\u9fff]/.test(text) && !/[A-Za-z]{4,}/.test(text) ? text : fallback;
}

/** Removes every message (a new applicant must not see the last one's). */
export function clearToasts(): void {
  document.getElementById('toasts')?.replaceChildren();
}

/** Formats seconds as 分:秒 for waiting times. */
export function formatWait(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}分${String(s % 60).padStart(2, '0')}秒` : `${s}秒`;
}

/** Attaches a track to a <video>/<audio> element and plays it (muted autoplay rules permitting). */
export function attachTrack(el: HTMLMediaElement, track: MediaStreamTrack): void {
  el.srcObject = new MediaStream([track]);
  el.play().catch(() => undefined);
}

/** The quality badge text and class for a level. */
export function qualityLabel(level: 'good' | 'fair' | 'poor' | 'unknown'): { text: string; cls: string } {
  switch (level) {
    case 'good':
      return { text: '网络良好', cls: 'q-good' };
    case 'fair':
      return { text: '网络一般', cls: 'q-fair' };
    case 'poor':
      return { text: '网络较差', cls: 'q-poor' };
    default:
      return { text: '网络检测中', cls: 'q-unknown' };
  }
}

/** Where the tab keeps its peer id (sessionStorage). */
export const PEER_ID_KEY = 'rvw.peerId';

/** A stable per-tab peer id, kept across reloads of the tab so a reconnect takes the peer back. */
export function tabPeerId(): string {
  let id = sessionStorage.getItem(PEER_ID_KEY);
  if (!id) {
    id = crypto.randomUUID();
    sessionStorage.setItem(PEER_ID_KEY, id);
  }
  return id;
}

/** The WebSocket URL of this origin. */
export function wsUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}


/** Wall-clock marks of call milestones (benchmarks and diagnostics read them from window.rvw.marks). */
export const marks: Record<string, number> = {};

/** Records `label` once, at the first time it happens (now, or `at`: epoch ms). */
export function mark(label: string, at = Date.now()): void {
  marks[label] ??= at;
}

/**
 * Marks `label` at the time the element's first decoded video frame went to the screen: the
 * frame's own presentation time, not the time the callback runs. The compositor shows a video
 * frame without the page's main thread; the callback waits for the main thread's next rendering
 * step, which a page busy laying out the call view delays by up to ~150 ms (traced, docs/cluster.md).
 * `label:callback` keeps the callback's own time, for comparison.
 */
export function markFirstFrame(video: HTMLVideoElement, label: string): void {
  if (!('requestVideoFrameCallback' in video)) return;
  video.requestVideoFrameCallback((_now, frame) => {
    const callbackAt = Date.now();
    // Epoch ms of the presentation: how long before this callback it was, off the wall clock now.
    mark(label, Math.min(callbackAt, Math.round(callbackAt - (performance.now() - frame.presentationTime))));
    mark(`${label}:callback`, callbackAt);
  });
}

/** Shows the signaling connection state in the header badge `#conn`. */
export function showConnection(state: 'connecting' | 'open' | 'closed'): void {
  const el = byId('conn');
  el.textContent = state === 'open' ? '已连接' : state === 'connecting' ? '连接中…' : '连接断开，正在重连';
  el.className = `badge ${state === 'open' ? 'q-good' : 'q-poor'}`;
}
