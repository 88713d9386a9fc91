import { degrees, PDFDocument, PDFName, PDFString, rgb, type PDFPage } from 'pdf-lib';
import { DocumentError } from '../errors/DocumentError.js';
import type { DocumentType } from '@rvw/protocol';
import type { DocumentInput } from '../DocumentInput.js';
import type { FontCache } from '../font/FontCache.js';
import { formatChineseDate } from '../time/formatChineseDate.js';
import type { DocumentTemplate } from './DocumentTemplate.js';
import { drawQrCode } from './drawQrCode.js';
import { drawSeal } from './drawSeal.js';
import { A4, PageWriter } from './PageWriter.js';
import { applicationFormTemplate } from './templates/applicationFormTemplate.js';
import { completionNoticeTemplate } from './templates/completionNoticeTemplate.js';
import { missingNoticeTemplate } from './templates/missingNoticeTemplate.js';
import { paymentCertificateTemplate } from './templates/paymentCertificateTemplate.js';
import { receiptTemplate } from './templates/receiptTemplate.js';
import { wrapText } from './wrapText.js';

const TEMPLATES: { [K in DocumentType]: DocumentTemplate<Extract<DocumentInput, { type: K }>> } = {
  receipt: receiptTemplate,
  missing_notice: missingNoticeTemplate,
  payment_certificate: paymentCertificateTemplate,
  completion_notice: completionNoticeTemplate,
  application_form: applicationFormTemplate,
};

const GREY = rgb(0.4, 0.4, 0.4);
const MARK_RED = rgb(0.75, 0.1, 0.1);

/** The banner and diagonal watermark of a document built from demonstration data. */
export const SAMPLE_MARK = { banner: '样本 · 演示数据，不作为正式证明', diagonal: '样本 · 演示数据' } as const;
/** The banner and diagonal watermark of an unsigned preview. */
export const PREVIEW_MARK = { banner: '预览 · 未签章、未编号，不具效力', diagonal: '预览 · 未签章' } as const;

/** A rendered, not yet signed document. */
export interface RenderedDocument {
  doc: PDFDocument;
  /** The printed title (受理回执, 参保缴费证明, …). */
  title: string;
  /** Page 1, where the signature widget goes. */
  firstPage: PDFPage;
}

/**
 * Lays out `input` with its type's template on A4 pages: title, document number, body, issuing
 * authority with the Chinese date, the seal, a QR code for `verifyUrl`, and a footer on every
 * page. Refuses text the font cannot print instead of printing empty boxes on a certificate.
 */
export async function renderDocument(
  input: DocumentInput,
  context: { number: string; issuedAt: Date; verifyUrl: string; fonts: FontCache; preview?: boolean },
): Promise<RenderedDocument> {
  const { fonts, number, issuedAt, verifyUrl } = context;
  // A sample or a preview says so on its face, so a printout can never pass for a real document.
  const marks = [...(context.preview ? [PREVIEW_MARK] : []), ...(input.sample ? [SAMPLE_MARK] : [])];
  const missing = fonts.missingCharacters(JSON.stringify(input));
  if (missing.length > 0) {
    throw new DocumentError('DOCUMENT_UNSUPPORTED_CHARACTER', `文书字体不支持以下字符：${missing.join('')}，请改用规范汉字 (unsupported characters)`, { characters: missing });
  }
  const template = TEMPLATES[input.type] as DocumentTemplate;

  // updateMetadata:false stops pdf-lib from stamping the wall clock; every date comes from `issuedAt`.
  const doc = await PDFDocument.create({ updateMetadata: false });
  doc.setTitle(`${template.title} ${number}`);
  doc.setAuthor(input.authority);
  doc.setSubject(`${input.item.name}（${input.region.name}）`);
  doc.setCreator('跨域通办远程虚拟窗口');
  doc.setProducer('RVW documents (pdf-lib)');
  doc.setCreationDate(issuedAt);
  doc.setModificationDate(issuedAt);
  doc.catalog.set(PDFName.of('Lang'), PDFString.of('zh-CN'));

  const font = await fonts.embed(doc);
  const w = new PageWriter(doc, font, fonts);
  w.title(template.title);
  const numberLine = `编号：${number}`;
  w.textAt(numberLine, w.marginX + w.contentWidth - w.widthOf(numberLine, 10.5), w.y + 6, 10.5, GREY);
  w.space(16);
  for (const mark of marks) {
    w.paragraph(mark.banner, { size: 12, indentChars: 0, color: MARK_RED });
  }
  if (marks.length) w.space(4);

  template.renderBody(w, input);

  // A preview carries no seal: nothing on it may look like an issued, stamped document.
  drawIssuerBlock(w, input.authority, issuedAt, verifyUrl, { seal: !context.preview });
  drawPageMarks(w, `${template.title}（续）　编号：${number}`, verifyUrl);
  const diagonal = marks.map((m) => m.diagonal).join('　');
  if (diagonal) for (const page of w.pages) drawWatermark(w, page, diagonal);
  const firstPage = w.pages[0];
  if (!firstPage) throw new Error('rendered no page');
  return { doc, title: template.title, firstPage };
}

/** Large, light, diagonal text across the page, drawn over the content so it cannot be covered. */
function drawWatermark(w: PageWriter, page: PDFPage, text: string): void {
  const size = 54;
  const width = w.widthOf(text, size);
  // Centre the rotated baseline on the page: move back half the text along the 35° diagonal.
  const angle = (35 * Math.PI) / 180;
  const x = A4[0] / 2 - (width / 2) * Math.cos(angle);
  const y = A4[1] / 2 - (width / 2) * Math.sin(angle);
  page.drawText(text, { x, y, size, font: w.font, color: MARK_RED, opacity: 0.22, rotate: degrees(35) });
}

/** Authority and date bottom-right under the seal, QR code bottom-left; kept together on one page. */
function drawIssuerBlock(w: PageWriter, authority: string, issuedAt: Date, verifyUrl: string, options: { seal: boolean }): void {
  const blockHeight = 118;
  w.space(12);
  w.ensureSpace(blockHeight);
  const top = w.y;
  const size = 14;
  const date = formatChineseDate(issuedAt);
  const nameWidth = w.widthOf(authority, size);
  const dateWidth = w.widthOf(date, size);
  const blockWidth = Math.max(nameWidth, dateWidth);
  const right = w.marginX + w.contentWidth - 12;
  const centre = right - blockWidth / 2;
  const nameBaseline = top - 52;
  const dateBaseline = nameBaseline - 26;
  w.textAt(authority, centre - nameWidth / 2, nameBaseline, size);
  w.textAt(date, centre - dateWidth / 2, dateBaseline, size);
  // The seal straddles name and date (骑年盖月), as on paper documents.
  if (options.seal) drawSeal(w.page, { cx: centre, cy: (nameBaseline + dateBaseline) / 2 + 6, radius: 48, authority, font: w.font, metrics: w.metrics });

  const qrSize = 86;
  drawQrCode(w.page, { text: verifyUrl, x: w.marginX - 6, y: top - 10 - qrSize, size: qrSize });
  w.textAt('扫码核验真伪', w.marginX, top - 10 - qrSize - 10, 9, GREY);
  w.y = top - blockHeight;
}

/**
 * Verification note and page numbers on every page below the content area, and on continuation
 * pages a running head naming the document, so a loose page can be matched to its first page.
 */
function drawPageMarks(w: PageWriter, runningHead: string, verifyUrl: string): void {
  const size = 8;
  const note = `本文书由“跨域通办”远程虚拟窗口出具并加盖电子签名，可扫描二维码或访问以下地址核验：${verifyUrl}`;
  const lines = wrapText(note, w.contentWidth, (s) => w.widthOf(s, size));
  w.pages.forEach((page, i) => {
    page.drawLine({ start: { x: w.marginX, y: 62 }, end: { x: A4[0] - w.marginX, y: 62 }, thickness: 0.5, color: GREY });
    lines.forEach((line, j) => w.textAt(line, w.marginX, 50 - j * 11, size, GREY, page));
    if (i > 0) w.textAt(runningHead, w.marginX, A4[1] - 44, 9, GREY, page);
    const pageLine = `第 ${i + 1} 页 共 ${w.pages.length} 页`;
    w.textAt(pageLine, (A4[0] - w.widthOf(pageLine, 9)) / 2, 24, 9, GREY, page);
  });
}
