import type { TrueTypeFace } from './TrueTypeFace.js';

/** Composite glyph component flags (OpenType 'glyf' spec). */
const ARG_1_AND_2_ARE_WORDS = 0x0001;
const WE_HAVE_A_SCALE = 0x0008;
const MORE_COMPONENTS = 0x0020;
const WE_HAVE_AN_X_AND_Y_SCALE = 0x0040;
const WE_HAVE_A_TWO_BY_TWO = 0x0080;

/**
 * A TrueType subset with the interface pdf-lib expects of fontkit's (`includeGlyph`,
 * `encodeStream`, `cff`): glyph programs are copied verbatim (composite glyphs get their component
 * ids remapped), and only the tables a PDF CIDFontType2 needs are written — head, hhea, maxp, loca,
 * glyf, hmtx and the hinting tables. fontkit's own subsetter decodes every outline and encodes
 * through generic structs; this copies bytes, about twenty times faster for CJK glyphs.
 */
export class TrueTypeSubset {
  /** pdf-lib asks; TrueType outlines are never CFF. */
  readonly cff = false;
  readonly #glyphs: number[] = [];
  readonly #mapping = new Map<number, number>();

  constructor(private readonly face: TrueTypeFace) {
    this.includeGlyph(0); // .notdef must stay glyph 0
  }

  /** Adds a glyph (by id or fontkit glyph) and returns its id in the subset. */
  includeGlyph(glyph: number | { id: number }): number {
    const gid = typeof glyph === 'number' ? glyph : glyph.id;
    let id = this.#mapping.get(gid);
    if (id === undefined) {
      id = this.#glyphs.length;
      this.#glyphs.push(gid);
      this.#mapping.set(gid, id);
    }
    return id;
  }

  /** fontkit-style stream: emits the whole font as one `data` chunk, then `end`, after the caller attached its handlers. */
  encodeStream(): { on(event: string, handler: (arg?: never) => void): ReturnType<TrueTypeSubset['encodeStream']> } {
    const handlers = new Map<string, (arg?: unknown) => void>();
    const stream = {
      on(event: string, handler: (arg?: never) => void) {
        handlers.set(event, handler as (arg?: unknown) => void);
        return stream;
      },
    };
    queueMicrotask(() => {
      try {
        const bytes = this.encode();
        handlers.get('data')?.(bytes);
        handlers.get('end')?.();
      } catch (e) {
        handlers.get('error')?.(e);
      }
    });
    return stream;
  }

  /** The subset as a standalone TrueType font program. */
  encode(): Uint8Array {
    const parts: Uint8Array[] = [];
    const offsets: number[] = [];
    const hmtx: number[] = [];
    let size = 0;
    // includeGlyph may append composite components while we iterate.
    for (let i = 0; i < this.#glyphs.length; i++) {
      const gid = this.#glyphs[i] as number;
      let program: Uint8Array = this.face.glyph(gid);
      if (program.length >= 10 && new DataView(program.buffer, program.byteOffset).getInt16(0) < 0) program = this.#remapComposite(program);
      offsets.push(size);
      parts.push(program);
      size += program.length;
      const pad = (4 - (program.length % 4)) % 4; // keep every glyph 4-byte aligned
      if (pad) {
        parts.push(new Uint8Array(pad));
        size += pad;
      }
      const { advance, bearing } = this.face.metrics(gid);
      hmtx.push(advance, bearing);
    }
    offsets.push(size);
    const n = this.#glyphs.length;

    const glyf = concat(parts, size);
    const loca = new Uint8Array(4 * (n + 1));
    const locaView = new DataView(loca.buffer);
    offsets.forEach((o, i) => locaView.setUint32(4 * i, o));
    const hmtxBytes = new Uint8Array(4 * n);
    const hmtxView = new DataView(hmtxBytes.buffer);
    for (let i = 0; i < n; i++) {
      hmtxView.setUint16(4 * i, hmtx[2 * i] ?? 0);
      hmtxView.setInt16(4 * i + 2, hmtx[2 * i + 1] ?? 0);
    }
    const head = this.#copy('head');
    const headView = new DataView(head.buffer);
    headView.setUint32(8, 0); // checkSumAdjustment, fixed below
    headView.setInt16(50, 1); // long loca offsets
    const hhea = this.#copy('hhea');
    new DataView(hhea.buffer).setUint16(34, n);
    const maxp = this.#copy('maxp');
    new DataView(maxp.buffer).setUint16(4, n);

    const tables = new Map<string, Uint8Array>([['head', head], ['hhea', hhea], ['maxp', maxp], ['loca', loca], ['glyf', glyf], ['hmtx', hmtxBytes]]);
    for (const tag of ['cvt ', 'fpgm', 'prep']) {
      const table = this.face.tables.get(tag);
      if (table) tables.set(tag, table);
    }
    const font = writeSfnt(tables);
    const adjustment = (0xb1b0afba - checksum(font)) >>> 0;
    const headOffset = new DataView(font.buffer).getUint32(tableRecordOffset(font, 'head') + 8);
    new DataView(font.buffer).setUint32(headOffset + 8, adjustment);
    return font;
  }

  #remapComposite(source: Uint8Array): Uint8Array {
    const program = source.slice();
    const view = new DataView(program.buffer);
    let pos = 10;
    for (;;) {
      const flags = view.getUint16(pos);
      view.setUint16(pos + 2, this.includeGlyph(view.getUint16(pos + 2)));
      pos += 4 + (flags & ARG_1_AND_2_ARE_WORDS ? 4 : 2);
      if (flags & WE_HAVE_A_SCALE) pos += 2;
      else if (flags & WE_HAVE_AN_X_AND_Y_SCALE) pos += 4;
      else if (flags & WE_HAVE_A_TWO_BY_TWO) pos += 8;
      if (!(flags & MORE_COMPONENTS)) return program;
    }
  }

  #copy(tag: string): Uint8Array {
    return (this.face.tables.get(tag) as Uint8Array).slice();
  }
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Writes an sfnt (TrueType) file: table directory sorted by tag, tables 4-byte aligned with checksums. */
function writeSfnt(tables: Map<string, Uint8Array>): Uint8Array {
  const tags = [...tables.keys()].sort();
  const numTables = tags.length;
  const entrySelector = Math.floor(Math.log2(numTables));
  const searchRange = 2 ** entrySelector * 16;
  let size = 12 + 16 * numTables;
  for (const tag of tags) size += ((tables.get(tag) as Uint8Array).length + 3) & ~3;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x00010000);
  view.setUint16(4, numTables);
  view.setUint16(6, searchRange);
  view.setUint16(8, entrySelector);
  view.setUint16(10, numTables * 16 - searchRange);
  let offset = 12 + 16 * numTables;
  tags.forEach((tag, i) => {
    const table = tables.get(tag) as Uint8Array;
    const record = 12 + 16 * i;
    for (let k = 0; k < 4; k++) out[record + k] = tag.charCodeAt(k);
    out.set(table, offset);
    view.setUint32(record + 4, checksum(out.subarray(offset, offset + ((table.length + 3) & ~3))));
    view.setUint32(record + 8, offset);
    view.setUint32(record + 12, table.length);
    offset += (table.length + 3) & ~3;
  });
  return out;
}

function tableRecordOffset(font: Uint8Array, tag: string): number {
  const view = new DataView(font.buffer, font.byteOffset);
  const numTables = view.getUint16(4);
  for (let i = 0; i < numTables; i++) {
    const record = 12 + 16 * i;
    if (String.fromCharCode(...font.subarray(record, record + 4)) === tag) return record;
  }
  throw new Error(`no ${tag} table`);
}

/** OpenType table checksum: sum of big-endian uint32 words (length padded with zeros). */
function checksum(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let sum = 0;
  const whole = bytes.length & ~3;
  for (let i = 0; i < whole; i += 4) sum = (sum + view.getUint32(i)) >>> 0;
  if (whole < bytes.length) {
    let last = 0;
    for (let i = whole; i < whole + 4; i++) last = (last << 8) | (bytes[i] ?? 0);
    sum = (sum + (last >>> 0)) >>> 0;
  }
  return sum;
}
