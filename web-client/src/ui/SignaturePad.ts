/** A handwriting pad on a canvas (touch, pen or mouse) for the applicant's confirmation signature. */
export class SignaturePad {
  #drawing = false;
  #strokes = 0;
  readonly #ctx: CanvasRenderingContext2D;

  constructor(private readonly canvas: HTMLCanvasElement) {
    this.#ctx = canvas.getContext('2d')!;
    this.clear();
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

  /** Wipes the pad. */
  clear(): void {
    this.#ctx.fillStyle = '#fff';
    this.#ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.#ctx.strokeStyle = '#111';
    this.#ctx.lineWidth = 3;
    this.#ctx.lineCap = 'round';
    this.#strokes = 0;
  }

  /** True when nothing was drawn. */
  isEmpty(): boolean {
    return this.#strokes === 0;
  }

  /** The signature as base64 PNG (without the data: prefix). */
  toPngBase64(): string {
    return this.canvas.toDataURL('image/png').split(',')[1] ?? '';
  }

  #point(e: PointerEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) * this.canvas.width) / r.width, y: ((e.clientY - r.top) * this.canvas.height) / r.height };
  }
}
