import {
  beginText,
  endText,
  fill,
  popGraphicsState,
  pushGraphicsState,
  rectangle,
  rgb,
  setFillingColor,
  setFontAndSize,
  setLineWidth,
  setStrokingColor,
  setTextMatrix,
  showText,
  stroke,
  type Color,
  type PDFDocument,
  type PDFFont,
  type PDFName,
  type PDFOperator,
  type PDFPage,
} from 'pdf-lib';
import type { FontCache } from '../font/FontCache.js';
import { wrapText } from './wrapText.js';

/** A4 in PDF points. */
export const A4: [number, number] = [595.28, 841.89];

/** One table column: header text, share of the table width, alignment of its cells. */
export interface TableColumn {
  header: string;
  width: number;
  align?: 'left' | 'center' | 'right';
}

interface RowLayout {
  wrapped: string[][];
  cellWidths: number[];
  height: number;
}

const BLACK = rgb(0, 0, 0);
const RULE = rgb(0.25, 0.25, 0.25);
const HEADER_FILL = rgb(0.93, 0.93, 0.93);

/**
 * Flowing layout on A4 pages with a single CJK font: a cursor moves down the page, blocks wrap by
 * measured width and break to a new page when they do not fit. Templates describe content with
 * it; nothing in it knows about document types.
 */
export class PageWriter {
  /** Pages in order; the first is created by the constructor. */
  readonly pages: PDFPage[] = [];
  /** Top of the next block, in points from the page bottom. */
  y = 0;
  readonly marginX = 72;
  readonly marginTop = 64;
  /** Space kept free at the bottom of each page for the footer. */
  readonly marginBottom = 72;
  readonly #fontKeys = new Map<PDFPage, PDFName>();

  constructor(
    private readonly doc: PDFDocument,
    /** The embedded subset font every block draws with. */
    readonly font: PDFFont,
    /** Measures text without shaping (cached advances). */
    readonly metrics: FontCache,
  ) {
    this.newPage();
  }

  /** The page being written. */
  get page(): PDFPage {
    const page = this.pages.at(-1);
    if (!page) throw new Error('no page');
    return page;
  }

  /** Width between the side margins. */
  get contentWidth(): number {
    return A4[0] - 2 * this.marginX;
  }

  /** Starts a new page and puts the cursor under its top margin. */
  newPage(): void {
    this.pages.push(this.doc.addPage(A4));
    this.y = A4[1] - this.marginTop;
  }

  /** Breaks to a new page unless `height` points still fit above the footer. */
  ensureSpace(height: number): void {
    if (this.y - height < this.marginBottom) this.newPage();
  }

  /** Moves the cursor down by `height` points (vertical space between blocks). */
  space(height: number): void {
    this.y -= height;
  }

  /**
   * Draws one line of text at an absolute position (baseline at `y`) on the current page or
   * `page`. Emits a bare BT…ET text object rather than going through page.drawText, whose option
   * checks and graphics-state save/restore per line dominated the cost of tables.
   */
  textAt(text: string, x: number, y: number, size: number, color: Color = BLACK, page: PDFPage = this.page): void {
    if (text === '') return;
    let key = this.#fontKeys.get(page);
    if (!key) {
      key = page.node.newFontDictionary('F', this.font.ref);
      this.#fontKeys.set(page, key);
    }
    page.pushOperators(beginText(), setFillingColor(color), setFontAndSize(key, size), setTextMatrix(1, 0, 0, 1, x, y), showText(this.font.encodeText(text)), endText());
  }

  /** Width of `text` at `size`. */
  widthOf(text: string, size: number): number {
    return this.metrics.widthOf(text, size);
  }

  /** A centred title; short titles get the wide letter-spacing of official documents (e.g. 受 理 回 执). */
  title(text: string, size = 22): void {
    const chars = [...text];
    const gap = chars.length <= 6 ? size * 0.5 : 0;
    const width = this.widthOf(text, size) + gap * (chars.length - 1);
    this.ensureSpace(size * 2);
    const baseline = this.y - size;
    let x = (A4[0] - width) / 2;
    if (gap === 0) {
      this.textAt(text, x, baseline, size);
    } else {
      for (const char of chars) {
        this.textAt(char, x, baseline, size);
        x += this.widthOf(char, size) + gap;
      }
    }
    this.y -= size * 1.9;
  }

  /** A paragraph wrapped to the content width, first line indented by `indentChars` characters. */
  paragraph(text: string, options: { size?: number; indentChars?: number; lineHeight?: number; color?: Color; align?: 'left' | 'right' } = {}): void {
    const size = options.size ?? 13;
    const lineHeight = size * (options.lineHeight ?? 1.75);
    const indent = size * (options.indentChars ?? 2);
    const lines = wrapText(text, this.contentWidth, (s) => this.widthOf(s, size), indent);
    lines.forEach((line, i) => {
      this.ensureSpace(lineHeight);
      const baseline = this.y - (lineHeight + size * 0.7) / 2;
      const x = options.align === 'right'
        ? this.marginX + this.contentWidth - this.widthOf(line, size)
        : this.marginX + (i === 0 ? indent : 0);
      this.textAt(line, x, baseline, size, options.color);
      this.y -= lineHeight;
    });
  }

  /**
   * A ruled table; cells wrap within their column, rows never split across pages and the header
   * row repeats on every page the table continues on.
   */
  table(columns: readonly TableColumn[], rows: ReadonlyArray<readonly string[]>, options: { size?: number; header?: boolean; labelColumns?: readonly number[] } = {}): void {
    const size = options.size ?? 11;
    const lineHeight = size * 1.45;
    const padX = 4;
    const padY = 3.5;
    const total = columns.reduce((sum, c) => sum + c.width, 0);
    const widths = columns.map((c) => (c.width / total) * this.contentWidth);
    // A row with fewer cells than columns lets its last cell span the remaining columns.
    const spans = (cells: readonly string[]) =>
      cells.map((_, i) => (i < cells.length - 1 ? (widths[i] ?? 0) : widths.slice(i).reduce((a, b) => a + b, 0)));
    const layout = (cells: readonly string[]): RowLayout => {
      const cellWidths = spans(cells);
      const wrapped = cells.map((cell, i) => wrapText(cell, (cellWidths[i] ?? 0) - 2 * padX, (s) => this.widthOf(s, size)));
      return { wrapped, cellWidths, height: Math.max(...wrapped.map((l) => l.length)) * lineHeight + 2 * padY };
    };
    const drawRow = (cells: readonly string[], header: boolean, layout: RowLayout) => {
      const { wrapped, cellWidths, height } = layout;
      const top = this.y;
      // Shading and rules as one path each: a rectangle per cell, filled or stroked once.
      const shading: PDFOperator[] = [];
      const rules: PDFOperator[] = [];
      let x = this.marginX;
      cells.forEach((_, i) => {
        const width = cellWidths[i] ?? 0;
        if (header || (options.labelColumns?.includes(i) ?? false)) shading.push(rectangle(x, top - height, width, height));
        rules.push(rectangle(x, top - height, width, height));
        x += width;
      });
      if (shading.length) this.page.pushOperators(pushGraphicsState(), setFillingColor(HEADER_FILL), ...shading, fill(), popGraphicsState());
      this.page.pushOperators(pushGraphicsState(), setStrokingColor(RULE), setLineWidth(0.6), ...rules, stroke(), popGraphicsState());
      x = this.marginX;
      cells.forEach((_, i) => {
        const width = cellWidths[i] ?? 0;
        const lines = wrapped[i] ?? [];
        const align = header ? 'center' : (columns[i]?.align ?? 'left');
        // Cells are vertically centred, as ruled Chinese forms are.
        let baseline = top - (height - lines.length * lineHeight) / 2 - (lineHeight + size * 0.7) / 2;
        for (const line of lines) {
          const w = this.widthOf(line, size);
          const tx = align === 'center' ? x + (width - w) / 2 : align === 'right' ? x + width - padX - w : x + padX;
          this.textAt(line, tx, baseline, size);
          baseline -= lineHeight;
        }
        x += width;
      });
      this.y -= height;
    };
    const headerCells = columns.map((c) => c.header);
    const withHeader = options.header !== false;
    const headerLayout = layout(headerCells);
    const rowLayouts = rows.map(layout);
    if (withHeader) {
      this.ensureSpace(headerLayout.height + (rowLayouts[0]?.height ?? 0));
      drawRow(headerCells, true, headerLayout);
    }
    rows.forEach((row, i) => {
      const rowLayout = rowLayouts[i] as RowLayout;
      if (this.y - rowLayout.height < this.marginBottom) {
        this.newPage();
        if (withHeader) drawRow(headerCells, true, headerLayout);
      }
      drawRow(row, false, rowLayout);
    });
  }
}
