import type { DocMarkWire } from '@rvw/protocol/messages';
import { drawMarksOver, toPicture } from '../../ui/docMarks';

/** Options of a {@link DocMarker}. */
export interface DocMarkerOptions {
  /** The applicant's 高拍仪 picture on the clerk's page. */
  video: HTMLVideoElement;
  /** The canvas laid over it, where the clerk draws. */
  canvas: HTMLCanvasElement;
  /** 标注: switches drawing on and off. */
  toggle: HTMLButtonElement;
  /** 清除标注. */
  clear: HTMLButtonElement;
  /** Sends the whole set to both sides (`doc.marks`); the case is the page's current one. */
  send: (marks: DocMarkWire[]) => Promise<void>;
}

/** Limits of the protocol (messages.ts `doc.marks`). */
const MAX_MARKS = 30;
const MAX_POINTS = 400;
/** While a stroke is drawn, the counter sees it grow this often (ms). */
const LIVE_EVERY_MS = 150;

/**
 * 标注 (#18): the clerk points at the applicant's papers by drawing on the 高拍仪 picture — "请把这一页
 * 放到这里". Strokes are kept in the picture's own coordinates and sent whole to both sides as they
 * grow; 清除标注 clears them on both screens. A still kept with 拍照留存材料 carries the marks.
 */
export class DocMarker {
  readonly #o: DocMarkerOptions;
  #on = false;
  #marks: DocMarkWire[] = [];
  #drawing: DocMarkWire | undefined;
  #lastSent = 0;
  #pending: number | undefined;

  constructor(options: DocMarkerOptions) {
    this.#o = options;
    const { canvas, toggle, clear, video } = options;
    toggle.addEventListener('click', () => this.#switch(!this.#on));
    clear.addEventListener('click', () => {
      this.#marks = [];
      this.#redraw();
      void this.#send();
    });
    canvas.addEventListener('pointerdown', (e) => this.#start(e));
    canvas.addEventListener('pointermove', (e) => this.#extend(e));
    canvas.addEventListener('pointerup', () => this.#finish());
    canvas.addEventListener('pointercancel', () => this.#finish());
    // The tile opens the enlarged view on a click; not while the clerk draws on it.
    canvas.addEventListener('click', (e) => {
      if (this.#on) e.stopPropagation();
    });
    video.addEventListener('resize', () => this.#redraw());
    new ResizeObserver(() => this.#redraw()).observe(video);
    this.#render();
  }

  /** Drawing is on (the tile takes the pointer instead of opening the enlarged view). */
  get active(): boolean {
    return this.#on;
  }

  /** The marks now (drawn into a kept still). */
  get marks(): readonly DocMarkWire[] {
    return this.#marks;
  }

  /** The call is over: nothing of it stays on the next applicant's picture. */
  reset(): void {
    this.#marks = [];
    this.#drawing = undefined;
    this.#switch(false);
    this.#redraw();
  }

  #switch(on: boolean): void {
    this.#on = on;
    this.#render();
  }

  #render(): void {
    const { toggle, canvas } = this.#o;
    toggle.textContent = this.#on ? '结束标注' : '标注';
    toggle.setAttribute('aria-pressed', String(this.#on));
    canvas.classList.toggle('drawing', this.#on);
  }

  #point(e: PointerEvent): [number, number] {
    const box = this.#o.video.getBoundingClientRect();
    return toPicture(this.#o.video, e.clientX - box.left, e.clientY - box.top);
  }

  #start(e: PointerEvent): void {
    if (!this.#on || this.#marks.length >= MAX_MARKS) return;
    this.#o.canvas.setPointerCapture(e.pointerId);
    this.#drawing = { points: [this.#point(e)] };
    this.#marks = [...this.#marks, this.#drawing];
    this.#redraw();
  }

  #extend(e: PointerEvent): void {
    const stroke = this.#drawing;
    if (!stroke || stroke.points.length >= MAX_POINTS) return;
    stroke.points.push(this.#point(e));
    this.#redraw();
    this.#sendSoon();
  }

  #finish(): void {
    if (!this.#drawing) return;
    this.#drawing = undefined;
    void this.#send();
  }

  #redraw(): void {
    drawMarksOver(this.#o.canvas, this.#o.video, this.#marks);
  }

  /** At most one send per LIVE_EVERY_MS while a stroke grows. */
  #sendSoon(): void {
    if (this.#pending !== undefined) return;
    const wait = Math.max(0, this.#lastSent + LIVE_EVERY_MS - Date.now());
    this.#pending = window.setTimeout(() => {
      this.#pending = undefined;
      void this.#send();
    }, wait);
  }

  async #send(): Promise<void> {
    this.#lastSent = Date.now();
    // A copy: the stroke being drawn keeps growing after this frame is built.
    await this.#o.send(this.#marks.map((m) => ({ points: [...m.points] }))).catch(() => undefined);
  }
}
