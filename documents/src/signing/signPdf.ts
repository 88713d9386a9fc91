import { createHash } from 'node:crypto';
import type { PDFDocument, PDFPage } from 'pdf-lib';
import type { Signer } from '../pki/Signer.js';
import { addSignaturePlaceholder, BYTE_RANGE_PLACEHOLDER, CONTENTS_HEX_LENGTH } from './addSignaturePlaceholder.js';
import { buildCadesSignature } from './buildCadesSignature.js';
import { savePdf } from './savePdf.js';
import type { Timestamper } from './Timestamper.js';

// Exactly as pdf-lib serializes the placeholder array (it pads brackets with spaces).
const BYTE_RANGE_TEXT = Buffer.from(`/ByteRange [ 0 /${BYTE_RANGE_PLACEHOLDER} /${BYTE_RANGE_PLACEHOLDER} /${BYTE_RANGE_PLACEHOLDER} ]`, 'latin1');
const CONTENTS_TEXT = Buffer.from(`<${'0'.repeat(CONTENTS_HEX_LENGTH)}>`, 'latin1');

/**
 * Signs a finished document (PAdES-B-B, or B-T with a timestamper) and returns the final bytes.
 *
 * This is the very last write: the document is saved once by pdf-lib (classic xref, no object
 * streams, so the signature dictionary is plain text), then the ByteRange placeholder is patched
 * to cover everything except the /Contents hex string, those ranges are hashed and signed, and the
 * CMS is written into /Contents — all in place, so no offset moves and the whole file is signed.
 */
export async function signPdf(
  doc: PDFDocument,
  page: PDFPage,
  options: { signer: Signer; signingTime: Date; reason: string; location: string; timestamper?: Timestamper },
): Promise<Uint8Array> {
  addSignaturePlaceholder(doc, page, { signingTime: options.signingTime, name: options.signer.subject, reason: options.reason, location: options.location });
  const saved = await savePdf(doc);
  const pdf = Buffer.from(saved.buffer, saved.byteOffset, saved.byteLength);

  const rangeAt = uniqueIndexOf(pdf, BYTE_RANGE_TEXT, 'ByteRange placeholder');
  const contentsAt = uniqueIndexOf(pdf, CONTENTS_TEXT, 'Contents placeholder');
  const gapStart = contentsAt;
  const gapEnd = contentsAt + CONTENTS_TEXT.length;
  const byteRange = [0, gapStart, gapEnd, pdf.length - gapEnd];
  const patched = `/ByteRange [${byteRange.join(' ')}`;
  if (patched.length + 1 > BYTE_RANGE_TEXT.length) throw new Error('document too large for the ByteRange placeholder');
  pdf.write(patched.padEnd(BYTE_RANGE_TEXT.length - 1, ' ') + ']', rangeAt, 'latin1');

  const contentDigest = createHash('sha256').update(pdf.subarray(0, gapStart)).update(pdf.subarray(gapEnd)).digest();
  const cms = await buildCadesSignature({
    contentDigest: new Uint8Array(contentDigest),
    signer: options.signer,
    ...(options.timestamper ? { timestamper: options.timestamper } : {}),
  });
  const hex = Buffer.from(cms).toString('hex');
  if (hex.length > CONTENTS_HEX_LENGTH) throw new Error(`CMS signature (${hex.length} hex digits) exceeds the reserved ${CONTENTS_HEX_LENGTH}`);
  pdf.write(hex, gapStart + 1, 'latin1');
  return new Uint8Array(pdf.buffer, pdf.byteOffset, pdf.byteLength);
}

function uniqueIndexOf(haystack: Buffer, needle: Buffer, what: string): number {
  const first = haystack.indexOf(needle);
  if (first < 0) throw new Error(`${what} not found in the saved PDF`);
  if (haystack.indexOf(needle, first + 1) >= 0) throw new Error(`${what} occurs more than once`);
  return first;
}
