import { h } from '../ui/dom';
import { SOURCE_LABELS, segmentStart, segmentUrl, type SegmentInfo } from './recordingData';

/** How far (s) a playing track may drift from the common timeline before it is put back. */
const PLAYING_TOLERANCE_S = 0.25;
/** Paused or seeking, tracks are put exactly where the timeline is. */
const STILL_TOLERANCE_S = 0.04;
/**
 * At the end of the timeline, a track whose last segment closed at most this long before the
 * last of all still shows its last frame: the tracks of one call are stopped one after another
 * at hang-up (milliseconds apart), and that is no gap in the recording.
 */
const END_HOLD_MS = 2000;
/** The last stretch of a file (s), where an element has no future data to wait for. */
const TAIL_S = 0.5;

/** A segment placed on the common timeline (ms from the recording's start). */
interface Placed {
  segment: SegmentInfo;
  from: number;
  to: number;
}

/**
 * One recorded source (the applicant's camera, the 高拍仪, a microphone …) played by one media
 * element that follows the common timeline: it waits (blank, with a note) before its first
 * segment and in gaps, and moves from one segment to the next of the same source.
 */
export class TrackPlayer {
  readonly source: string;
  readonly kind: 'audio' | 'video';
  readonly label: string;
  /** The tile on the page (video) or the badge (audio). */
  readonly element: HTMLElement;
  readonly media: HTMLVideoElement | HTMLAudioElement;
  readonly #placed: Placed[];
  readonly #caseId: string;
  readonly #note: HTMLElement;
  #current: Placed | undefined;
  /** The timeline is within the segment's listed span but past the end of its file (it closed a little earlier). */
  #pastEnd = false;

  constructor(options: { caseId: string; source: string; kind: 'audio' | 'video'; segments: SegmentInfo[]; origin: number }) {
    this.#caseId = options.caseId;
    this.source = options.source;
    this.kind = options.kind;
    this.label = SOURCE_LABELS[options.source] ?? options.source;
    this.#placed = options.segments
      .map((segment) => ({ segment, from: segmentStart(segment) - options.origin, to: segment.endedAt - options.origin }))
      .sort((a, b) => a.from - b.from);
    this.#note = h('span', { className: 'track-note' });
    if (options.kind === 'video') {
      this.media = h('video', { playsinline: true, muted: true, preload: 'auto', 'data-source': options.source });
      // The muted attribute alone is not the property: sound comes from the microphone tracks.
      this.media.muted = true;
      this.element = h('div', { className: 'tile rec-tile', 'data-source': options.source, role: 'button', tabindex: '0', title: '点击放大' }, h('span', { className: 'cap' }, this.label), this.media, this.#note);
    } else {
      this.media = h('audio', { preload: 'auto', 'data-source': options.source });
      this.element = h('span', { className: 'badge audio-badge', 'data-source': options.source }, this.label, this.#note);
    }
  }

  /** Whether this track keeps the timeline waiting (fetching or seeking its current segment). */
  get held(): boolean {
    if (!this.#current || this.#pastEnd || this.media.ended) return false;
    if (this.media.seeking) return true;
    if (this.media.readyState >= HTMLMediaElement.HAVE_FUTURE_DATA) return false;
    // At a file's tail there is no future data to have (the element stays at HAVE_CURRENT_DATA):
    // an element that played a little ahead of the timeline and reached its end there would hold
    // the timeline short of the end for ever (seen in CI: the player never stopped).
    const tail = Number.isFinite(this.media.duration) && this.media.duration - this.media.currentTime < TAIL_S;
    return !(tail && this.media.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA);
  }

  /** The timeline position (ms) this track is showing now, or null when it shows nothing. */
  get position(): number | null {
    if (!this.#current || this.media.readyState < HTMLMediaElement.HAVE_METADATA) return null;
    return this.#current.from + this.media.currentTime * 1000;
  }

  /**
   * Brings the element to `position` (ms on the timeline), playing or paused as told; `atEnd` when
   * the position is the end of the timeline.
   */
  sync(position: number, play: boolean, atEnd = false): void {
    const at = this.#placed.find((p) => position >= p.from && position < p.to) ?? (atEnd ? this.#lastEndingNear(position) : undefined);
    if (!at) {
      this.#show(undefined, position);
      return;
    }
    if (at !== this.#current) this.#show(at, position);
    const local = (position - at.from) / 1000;
    const fileEnd = this.media.readyState >= HTMLMediaElement.HAVE_METADATA && Number.isFinite(this.media.duration) ? this.media.duration : Infinity;
    this.#pastEnd = local >= fileEnd;
    if (this.#pastEnd) {
      // Stays on its last frame; seeking past the end would only keep the timeline waiting.
      if (!this.media.paused) this.media.pause();
      return;
    }
    if (this.media.readyState >= HTMLMediaElement.HAVE_METADATA && !this.media.seeking) {
      const tolerance = play && !this.media.paused ? PLAYING_TOLERANCE_S : STILL_TOLERANCE_S;
      if (Math.abs(this.media.currentTime - local) > tolerance) this.media.currentTime = local;
    }
    if (play && this.media.paused && !this.media.ended) {
      // A play() cut short by the next pause() or seek rejects; the next tick tries again.
      this.media.play().catch(() => undefined);
    } else if (!play && !this.media.paused) {
      this.media.pause();
    }
  }

  /** The segment that ends last, if it ends within END_HOLD_MS before `position`. */
  #lastEndingNear(position: number): Placed | undefined {
    let last: Placed | undefined;
    for (const p of this.#placed) if (!last || p.to > last.to) last = p;
    return last && position >= last.from && position - last.to <= END_HOLD_MS ? last : undefined;
  }

  #show(placed: Placed | undefined, position: number): void {
    if (placed === this.#current && placed) return;
    this.#current = placed;
    this.#pastEnd = false;
    if (!placed) {
      if (!this.media.paused) this.media.pause();
      const first = this.#placed[0];
      this.#note.textContent = first && position < first.from ? '尚未开始' : '此段未录制';
      this.element.classList.add('idle');
      return;
    }
    this.#note.textContent = '';
    this.element.classList.remove('idle');
    this.media.src = segmentUrl(this.#caseId, placed.segment.sha256);
    this.media.currentTime = (position - placed.from) / 1000;
  }
}
