import { h } from '../ui/dom';
import { formatClock, formatWallTime } from './timeFormat';

/** A case marker placed on the timeline. */
export interface PlacedMarker {
  kind: string;
  label: string;
  /** Epoch ms (for the wall-clock time shown). */
  at: number;
  /** ms from the recording's start (clamped into it). */
  offset: number;
}

/**
 * The bar under the videos: progress, the stretches not recorded, and the case's markers (受理,
 * 拍照/材料, 容缺, 出具文书, 办结) — clicking a marker, its entry in the list, or the bar itself seeks.
 */
export class TimelineBar {
  readonly #bar: HTMLElement;
  readonly #progress: HTMLElement;
  readonly #duration: number;

  constructor(options: {
    bar: HTMLElement;
    progress: HTMLElement;
    markerLayer: HTMLElement;
    gapLayer: HTMLElement;
    markerList: HTMLElement;
    duration: number;
    markers: PlacedMarker[];
    gaps: { from: number; to: number }[];
    onSeek: (offset: number) => void;
  }) {
    this.#bar = options.bar;
    this.#progress = options.progress;
    this.#duration = options.duration;
    this.#bar.setAttribute('aria-valuemax', String(Math.round(options.duration / 1000)));
    const pct = (ms: number) => `${((100 * ms) / Math.max(1, options.duration)).toFixed(3)}%`;

    for (const g of options.gaps) {
      const from = Math.max(0, g.from);
      const to = Math.min(options.duration, g.to);
      if (to <= from) continue;
      const el = h('div', { className: 'timeline-gap', title: `未录制 ${formatClock(from)}–${formatClock(to)}` });
      // CSSOM, not a style attribute: the page's CSP allows no inline style.
      el.style.left = pct(from);
      el.style.width = pct(to - from);
      options.gapLayer.append(el);
    }

    options.markers.forEach((m, i) => {
      const seek = (e: Event) => {
        e.stopPropagation();
        options.onSeek(m.offset);
      };
      const pin = h('button', { type: 'button', className: `timeline-marker m-${m.kind}`, 'data-kind': m.kind, 'data-index': i, title: `${m.label} ${formatWallTime(m.at)}`, 'aria-label': `跳到${m.label}（${formatWallTime(m.at)}）`, onclick: seek });
      pin.style.left = pct(m.offset);
      options.markerLayer.append(pin);
      options.markerList.append(
        h('li', {}, h('button', { type: 'button', className: `marker-link m-${m.kind}`, 'data-kind': m.kind, 'data-index': i, onclick: seek }, h('span', { className: 'marker-dot' }), m.label, h('span', { className: 'muted' }, ` ${formatWallTime(m.at)} · ${formatClock(m.offset)}`))),
      );
    });

    const seekTo = (clientX: number) => {
      const r = this.#bar.getBoundingClientRect();
      options.onSeek(((clientX - r.left) / r.width) * options.duration);
    };
    this.#bar.addEventListener('click', (e) => seekTo(e.clientX));
    this.#bar.addEventListener('keydown', (e) => {
      const step = e.key === 'ArrowRight' ? 5000 : e.key === 'ArrowLeft' ? -5000 : 0;
      if (step === 0) return;
      e.preventDefault();
      options.onSeek(Number(this.#bar.dataset.position ?? 0) + step);
    });
  }

  /** Moves the progress to `position` (ms). */
  show(position: number): void {
    this.#progress.style.width = `${((100 * position) / Math.max(1, this.#duration)).toFixed(3)}%`;
    this.#bar.dataset.position = String(Math.round(position));
    this.#bar.setAttribute('aria-valuenow', String(Math.round(position / 1000)));
    this.#bar.setAttribute('aria-valuetext', formatClock(position));
  }
}
