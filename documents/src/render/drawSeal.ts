import { BlendMode, degrees, rgb, type PDFFont, type PDFPage } from 'pdf-lib';
import type { FontCache } from '../font/FontCache.js';

/** Seal red (朱红), close to the ink of physical official seals. */
const SEAL_RED = rgb(0.85, 0.1, 0.12);

/**
 * Draws the issuing authority's seal as vector graphics: a double-ruled circle, a five-pointed
 * star, the authority name along the upper arc and a purpose line under the star.
 *
 * It is a visual mark only — the legal proof is the digital signature — so it says 电子签章, and
 * is drawn with Multiply blending so the text it overlaps stays legible, as ink would.
 */
export function drawSeal(page: PDFPage, options: { cx: number; cy: number; radius: number; authority: string; font: PDFFont; metrics: FontCache; caption?: string }): void {
  const { cx, cy, radius: r, font, metrics } = options;
  const ink = { color: SEAL_RED, opacity: 0.9, blendMode: BlendMode.Multiply };
  page.drawCircle({ x: cx, y: cy, size: r, borderColor: SEAL_RED, borderWidth: r * 0.06, borderOpacity: 0.9, blendMode: BlendMode.Multiply });
  page.drawCircle({ x: cx, y: cy, size: r * 0.9, borderColor: SEAL_RED, borderWidth: r * 0.012, borderOpacity: 0.9, blendMode: BlendMode.Multiply });

  // Five-pointed star, point up, centred slightly above the middle like a real seal.
  const outer = r * 0.26;
  const inner = outer * 0.382;
  const starY = cy + r * 0.02;
  const points: string[] = [];
  for (let i = 0; i < 10; i++) {
    const angle = Math.PI / 2 + (i * Math.PI) / 5;
    const radius = i % 2 === 0 ? outer : inner;
    // drawSvgPath uses SVG's downward y axis relative to (x, y).
    points.push(`${(radius * Math.cos(angle)).toFixed(2)} ${(-radius * Math.sin(angle)).toFixed(2)}`);
  }
  page.drawSvgPath(`M ${points.join(' L ')} Z`, { x: cx, y: starY, ...ink, borderWidth: 0 });

  // Authority name on the upper arc, read clockwise from lower left to lower right.
  const chars = [...options.authority];
  const size = Math.min(r * 0.26, (r * 2.9) / Math.max(chars.length, 1));
  const textRadius = r * 0.9 - size * 0.62;
  const span = Math.min(250, chars.length * (size / textRadius) * (180 / Math.PI) * 1.18);
  const start = 90 + span / 2;
  const step = chars.length > 1 ? span / (chars.length - 1) : 0;
  chars.forEach((char, i) => {
    const theta = ((start - i * step) * Math.PI) / 180;
    const rotation = theta - Math.PI / 2;
    const w = metrics.widthOf(char, size);
    // Anchor the glyph's centre on the arc: pdf-lib rotates around the baseline origin.
    const px = cx + textRadius * Math.cos(theta);
    const py = cy + textRadius * Math.sin(theta);
    const ux = Math.cos(rotation);
    const uy = Math.sin(rotation);
    const half = size * 0.36;
    const x = px - ux * (w / 2) + uy * half;
    const y = py - uy * (w / 2) - ux * half;
    page.drawText(char, { x, y, size, font, rotate: degrees((rotation * 180) / Math.PI), ...ink });
  });

  const caption = options.caption ?? '电子签章';
  const captionSize = r * 0.17;
  const captionWidth = metrics.widthOf(caption, captionSize);
  page.drawText(caption, { x: cx - captionWidth / 2, y: cy - r * 0.55, size: captionSize, font, ...ink });
}
