import { readFile } from 'node:fs/promises';
import fontkit from '@pdf-lib/fontkit';
import type { PDFDocument, PDFFont } from 'pdf-lib';
import { TrueTypeFace } from './TrueTypeFace.js';
import { TrueTypeSubset } from './TrueTypeSubset.js';

/** Debian's fonts-wqy-microhei: TrueType outlines, which fontkit subsets correctly (its CFF subsetter breaks CJK OTFs). */
export const DEFAULT_FONT_PATH = '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc';
/** The face picked out of the collection (face 0 is the proportional MicroHei, face 1 the Mono). */
export const DEFAULT_FONT_FACE = 0;

type Face = ReturnType<typeof fontkit.create>;
/** pdf-lib's view of fontkit (its own typings, not exported by name). */
type Fontkit = Parameters<PDFDocument['registerFontkit']>[0];

/**
 * The Chinese font, parsed once per process and shared by every document.
 *
 * pdf-lib's `embedFont(bytes)` would re-parse the 5 MB collection for every document and cannot
 * choose a face inside a TTC; instead each document gets a tiny fontkit facade whose `create`
 * returns this already-parsed face, and pdf-lib subsets it (a fresh subset per document). Sharing
 * the face is safe: fontkit encodes a subset synchronously within one tick.
 *
 * The facade also replaces fontkit's OpenType shaping (`layout`) by a cached one-glyph-per-
 * character lookup (Chinese needs no shaping, pdf-lib only uses the glyph ids, and shaping was the
 * largest cost of rendering), and fontkit's subsetter by {@link TrueTypeSubset}, which copies
 * glyph programs instead of decoding and re-encoding every outline.
 */
export class FontCache {
  static readonly #loaded = new Map<string, Promise<FontCache>>();
  readonly #advances = new Map<number, number>();
  readonly #glyphs = new Map<number, ReturnType<Face['glyphForCodePoint']>>();
  readonly #facade: Fontkit;
  /** Units per em of the face, to turn advances into points. */
  readonly #unitsPerEm: number;

  private constructor(
    /** The parsed fontkit face (metrics, cmap). */
    readonly face: Face,
    /** The same face's raw tables, for subsetting. */
    readonly tables: TrueTypeFace,
    /** PostScript name without subset tag, used for the embedded BaseFont. */
    readonly postscriptName: string,
  ) {
    this.#unitsPerEm = face.unitsPerEm;
    const layout = (text: string) => ({ glyphs: Array.from(text, (char) => this.#glyph(char.codePointAt(0) ?? 0)) });
    // Getters and methods run against the real face (receiver = target), so fontkit's lazily
    // cached tables are shared, not re-parsed per proxy.
    const createSubset = () => new TrueTypeSubset(tables);
    const unshaped = new Proxy(face, {
      get: (target, prop) => {
        if (prop === 'layout') return layout;
        if (prop === 'createSubset') return createSubset;
        return Reflect.get(target, prop, target);
      },
    });
    this.#facade = { create: () => unshaped } as unknown as Fontkit;
  }

  /**
   * Loads (once per process and path/face) a TrueType font or one face of a TrueType collection;
   * later calls return the same instance.
   */
  static load(options: { path?: string; faceIndex?: number } = {}): Promise<FontCache> {
    const file = options.path ?? DEFAULT_FONT_PATH;
    const faceIndex = options.faceIndex ?? DEFAULT_FONT_FACE;
    const key = `${file}#${faceIndex}`;
    let loaded = FontCache.#loaded.get(key);
    if (!loaded) {
      loaded = readFile(file).then((bytes) => {
        const tables = TrueTypeFace.parse(bytes, faceIndex);
        // fontkit.create returns a collection for a .ttc; its typings only know single fonts.
        const parsed = fontkit.create(bytes) as Face & { fonts?: Face[] };
        const face = parsed.fonts ? parsed.fonts[faceIndex] : parsed;
        if (!face) throw new Error(`font face ${faceIndex} not found in ${file}`);
        return new FontCache(face, tables, face.postscriptName || 'CJKFont');
      });
      // A failed load must not poison the cache for a corrected retry.
      loaded.catch(() => FontCache.#loaded.delete(key));
      FontCache.#loaded.set(key, loaded);
    }
    return loaded;
  }

  /** Embeds a fresh subset of the cached face into `doc` (only glyphs actually drawn end up in the PDF). */
  async embed(doc: PDFDocument): Promise<PDFFont> {
    doc.registerFontkit(this.#facade);
    // The "ABCDEF+" tag marks the font as a subset for viewers (PDF 32000 §9.6.4); a fixed tag
    // keeps output deterministic, which nothing else in the file depends on.
    return doc.embedFont(new Uint8Array(0), { subset: true, customName: `RVWSUB+${this.postscriptName}` });
  }

  /** Width of `text` at `size` points, from cached per-character advances (no shaping: CJK needs none). */
  widthOf(text: string, size: number): number {
    let units = 0;
    for (const char of text) units += this.#advance(char.codePointAt(0) ?? 0);
    return (units / this.#unitsPerEm) * size;
  }

  /** Characters of `text` the face has no glyph for (they would print as empty boxes). */
  missingCharacters(text: string): string[] {
    const missing = new Set<string>();
    for (const char of text) {
      const cp = char.codePointAt(0) ?? 0;
      if (cp >= 0x20 && !this.face.hasGlyphForCodePoint(cp)) missing.add(char);
    }
    return [...missing];
  }

  #glyph(codePoint: number): ReturnType<Face['glyphForCodePoint']> {
    let glyph = this.#glyphs.get(codePoint);
    if (!glyph) {
      glyph = this.face.glyphForCodePoint(codePoint);
      this.#glyphs.set(codePoint, glyph);
    }
    return glyph;
  }

  #advance(codePoint: number): number {
    let advance = this.#advances.get(codePoint);
    if (advance === undefined) {
      advance = this.#glyph(codePoint).advanceWidth;
      this.#advances.set(codePoint, advance);
    }
    return advance;
  }
}
