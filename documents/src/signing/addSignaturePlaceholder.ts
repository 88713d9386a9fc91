import { PDFArray, PDFHexString, PDFName, PDFNumber, PDFString, type PDFDocument, type PDFPage } from 'pdf-lib';
import { toChinaTime } from '../time/toChinaTime.js';

/** Hex digits reserved for the CMS in /Contents: room for ECDSA, a 3-certificate chain and an RFC 3161 token. */
export const CONTENTS_HEX_LENGTH = 16_384;
/** Written where the four ByteRange numbers go; patched in place after saving. */
export const BYTE_RANGE_PLACEHOLDER = '**********';

/**
 * Adds an (invisible) signature field to `page` whose value is a PAdES signature dictionary —
 * /Filter /Adobe.PPKLite, /SubFilter /ETSI.CAdES.detached — with a fixed-width /ByteRange and a
 * zero-filled /Contents to be patched after the final save. Text entries are UTF-16BE hex
 * strings so Chinese names survive any viewer.
 */
export function addSignaturePlaceholder(doc: PDFDocument, page: PDFPage, info: { signingTime: Date; name: string; reason: string; location: string }): void {
  const ctx = doc.context;
  const placeholder = PDFName.of(BYTE_RANGE_PLACEHOLDER);
  const byteRange = PDFArray.withContext(ctx);
  byteRange.push(PDFNumber.of(0));
  byteRange.push(placeholder);
  byteRange.push(placeholder);
  byteRange.push(placeholder);

  const signature = ctx.obj({
    Type: 'Sig',
    Filter: 'Adobe.PPKLite',
    SubFilter: 'ETSI.CAdES.detached',
    ByteRange: byteRange,
    Contents: PDFHexString.of('0'.repeat(CONTENTS_HEX_LENGTH)),
    M: PDFString.of(pdfDate(info.signingTime)),
    Name: PDFHexString.fromText(info.name),
    Reason: PDFHexString.fromText(info.reason),
    Location: PDFHexString.fromText(info.location),
  });
  const signatureRef = ctx.register(signature);
  const widget = ctx.obj({
    Type: 'Annot',
    Subtype: 'Widget',
    FT: 'Sig',
    // Zero-size rectangle: the printed seal is the visible mark; this field only carries the signature.
    Rect: [0, 0, 0, 0],
    V: signatureRef,
    T: PDFString.of('RVW-Signature'),
    F: 132, // Print | Locked
    P: page.ref,
  });
  const widgetRef = ctx.register(widget);
  page.node.addAnnot(widgetRef);
  // SigFlags 3 = SignaturesExist | AppendOnly: viewers must save changes incrementally.
  doc.catalog.set(PDFName.of('AcroForm'), ctx.obj({ SigFlags: 3, Fields: [widgetRef] }));
}

/** PDF date string in China Standard Time, e.g. `D:20261123093000+08'00'`. */
function pdfDate(date: Date): string {
  const t = toChinaTime(date);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `D:${p(t.year, 4)}${p(t.month)}${p(t.day)}${p(t.hour)}${p(t.minute)}${p(t.second)}+08'00'`;
}
