import type { DocMarkWire } from '@rvw/protocol/messages';

/** The colour the clerk points in: red on any paper, as a pen would. */
export const MARK_COLOR = '#e0201b';

/**
 * Where the picture is inside its `<video>` element (CSS px, relative to the element): the tiles
 * show it with `object-fit: contain`, so a picture of another shape is letterboxed. Marks are
 * kept in the picture's own 0–1 coordinates, so the counter's preview and the clerk's tile agree
 * whatever their sizes.
 */
export function pictureRect(video: HTMLVideoElement): { x: number; y: number; w: number; h: number } {
  const bw = video.clientWidth;
  const bh = video.clientHeight;
  const vw = video.videoWidth || bw;
  const vh = video.videoHeight || bh;
  const scale = Math.min(bw / vw, bh / vh) || 1;
  const w = vw * scale;
  const h = vh * scale;
  return { x: (bw - w) / 2, y: (bh - h) / 2, w, h };
}

/** A point of the element (CSS px) in the picture's coordinates, clamped to the picture. */
export function toPicture(video: HTMLVideoElement, px: number, py: number): [number, number] {
  const r = pictureRect(video);
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  return [clamp((px - r.x) / r.w), clamp((py - r.y) / r.h)];
}

/** Strokes the marks onto a 2D context whose picture occupies `rect`. */
export function strokeMarks(ctx: CanvasRenderingContext2D, marks: readonly DocMarkWire[], rect: { x: number; y: number; w: number; h: number }, lineWidth: number): void {
  ctx.strokeStyle = MARK_COLOR;
  ctx.fillStyle = MARK_COLOR;
  ctx.lineWidth = lineWidth;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  for (const m of marks) {
    const [first, ...rest] = m.points;
    if (!first) continue;
    ctx.beginPath();
    ctx.moveTo(rect.x + first[0] * rect.w, rect.y + first[1] * rect.h);
    // A single point (a tap) shows as a dot.
    if (rest.length === 0) ctx.arc(rect.x + first[0] * rect.w, rect.y + first[1] * rect.h, lineWidth, 0, 2 * Math.PI);
    for (const [x, y] of rest) ctx.lineTo(rect.x + x * rect.w, rect.y + y * rect.h);
    if (rest.length === 0) ctx.fill();
    else ctx.stroke();
  }
}

/**
 * Draws the marks on a canvas laid over `video` (same box), sized to its element at the screen's
 * pixel ratio; an empty set clears it.
 */
export function drawMarksOver(canvas: HTMLCanvasElement, video: HTMLVideoElement, marks: readonly DocMarkWire[]): void {
  const ratio = window.devicePixelRatio || 1;
  const w = Math.round(video.clientWidth * ratio);
  const h = Math.round(video.clientHeight * ratio);
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, video.clientWidth, video.clientHeight);
  strokeMarks(ctx, marks, pictureRect(video), 4);
}
