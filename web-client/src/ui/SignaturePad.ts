/**
 * A handwriting pad on a canvas (touch, pen or mouse) for the applicant's confirmation signature.
 *
 * The pad draws nothing until the first stroke (its white is the element's CSS background): a
 * canvas drawn on while hidden makes the browser produce its raster the moment it is shown, and
 * the pad is shown with the call — on the counter's main thread, in the very frames where the
 * clerk's first picture should appear (measured in bench:call-setup without a GPU: two commits of
 * ~105 ms each). The exported PNG is composed onto white (see toPngBase64).
 */
export class SignaturePad {
  #drawing = false;
  #strokes = 0;
  readonly #ctx: CanvasRenderingContext2D;

  constructor(private readonly canvas: HTMLCanvasElement) {
    this.#ctx = canvas.getContext('2d')!;
    this.#pen();
    canvas.addEventListener('pointerdown', (e) => {
      this.#drawing = true;
      this.#strokes++;
      canvas.setPointerCapture(e.pointerId);
      const p = this.#point(e);
      this.#ctx.beginPath();
      this.#ctx.moveTo(p.x, p.y);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!this.#drawing) return;
      const p = this.#point(e);
      this.#ctx.lineTo(p.x, p.y);
      this.#ctx.stroke();
    });
    const end = () => (this.#drawing = false);
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  /** Wipes the pad (a pad never drawn on is left untouched: see the class comment). */
  clear(): void {
    if (this.#strokes > 0) this.#ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.#strokes = 0;
    this.#drawing = false;
  }

  /** True when nothing was drawn. */
  isEmpty(): boolean {
    return this.#strokes === 0;
  }

  /** The signature on white as base64 PNG (without the data: prefix). */
  toPngBase64(): string {
    const out = document.createElement('canvas');
    out.width = this.canvas.width;
    out.height = this.canvas.height;
    const ctx = out.getContext('2d')!;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(this.canvas, 0, 0);
    return out.toDataURL('image/png').split(',')[1] ?? '';
  }

  #pen(): void {
    this.#ctx.strokeStyle = '#111';
    this.#ctx.lineWidth = 3;
    this.#ctx.lineCap = 'round';
  }

  #point(e: PointerEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) * this.canvas.width) / r.width, y: ((e.clientY - r.top) * this.canvas.height) / r.height };
  }
}
