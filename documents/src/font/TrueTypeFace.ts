/**
 * The raw tables of one TrueType-outline face, read from a .ttf or from one face of a .ttc
 * collection — what {@link TrueTypeSubset} copies glyph programs and metrics from.
 */
export class TrueTypeFace {
  private constructor(
    /** Table tag → table bytes (views into the font file). */
    readonly tables: ReadonlyMap<string, Uint8Array>,
    /** Byte offset of every glyph in `glyf`, numGlyphs + 1 entries. */
    readonly glyphOffsets: Uint32Array,
    /** Number of glyphs in the face. */
    readonly numGlyphs: number,
    /** Number of full (advance + bearing) entries in `hmtx`. */
    readonly numberOfHMetrics: number,
  ) {}

  /** Parses face `faceIndex` of a TTC (or the only face of a TTF). Refuses CFF-outline fonts. */
  static parse(input: Uint8Array, faceIndex = 0): TrueTypeFace {
    // A plain Uint8Array view, not a Node Buffer: Buffer#slice shares memory, and TrueTypeSubset
    // relies on slice() copying before it patches tables.
    const file = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
    let directory = 0;
    if (tagAt(file, 0) === 'ttcf') {
      const numFonts = view.getUint32(8);
      if (faceIndex < 0 || faceIndex >= numFonts) throw new Error(`font collection has ${numFonts} faces, no face ${faceIndex}`);
      directory = view.getUint32(12 + 4 * faceIndex);
    }
    const version = view.getUint32(directory);
    if (version !== 0x00010000 && tagAt(file, directory) !== 'true') {
      // 'OTTO' = CFF outlines, which pdf-lib/fontkit cannot subset correctly for CJK.
      throw new Error(`font face is not TrueType-outline (sfnt version ${tagAt(file, directory)})`);
    }
    const numTables = view.getUint16(directory + 4);
    const tables = new Map<string, Uint8Array>();
    for (let i = 0; i < numTables; i++) {
      const record = directory + 12 + 16 * i;
      const offset = view.getUint32(record + 8);
      const length = view.getUint32(record + 12);
      tables.set(tagAt(file, record), file.subarray(offset, offset + length));
    }
    for (const tag of ['head', 'hhea', 'hmtx', 'maxp', 'loca', 'glyf']) {
      if (!tables.has(tag)) throw new Error(`font face lacks the ${tag} table`);
    }
    const table = (tag: string) => {
      const bytes = tables.get(tag) as Uint8Array;
      return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    };
    const numGlyphs = table('maxp').getUint16(4);
    const numberOfHMetrics = table('hhea').getUint16(34);
    const longLoca = table('head').getInt16(50) === 1;
    const loca = table('loca');
    const glyphOffsets = new Uint32Array(numGlyphs + 1);
    for (let gid = 0; gid <= numGlyphs; gid++) {
      glyphOffsets[gid] = longLoca ? loca.getUint32(4 * gid) : loca.getUint16(2 * gid) * 2;
    }
    return new TrueTypeFace(tables, glyphOffsets, numGlyphs, numberOfHMetrics);
  }

  /** The glyph program of `gid` (empty for blank glyphs such as the space). */
  glyph(gid: number): Uint8Array {
    const glyf = this.tables.get('glyf') as Uint8Array;
    return glyf.subarray(this.glyphOffsets[gid] ?? 0, this.glyphOffsets[gid + 1] ?? 0);
  }

  /** Advance width and left side bearing of `gid`, in font units. */
  metrics(gid: number): { advance: number; bearing: number } {
    const hmtx = this.tables.get('hmtx') as Uint8Array;
    const view = new DataView(hmtx.buffer, hmtx.byteOffset, hmtx.byteLength);
    const n = this.numberOfHMetrics;
    // Glyphs past numberOfHMetrics share the last advance and only store a bearing.
    if (gid < n) return { advance: view.getUint16(4 * gid), bearing: view.getInt16(4 * gid + 2) };
    return { advance: view.getUint16(4 * (n - 1)), bearing: view.getInt16(4 * n + 2 * (gid - n)) };
  }
}

function tagAt(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(bytes[offset] ?? 0, bytes[offset + 1] ?? 0, bytes[offset + 2] ?? 0, bytes[offset + 3] ?? 0);
}
