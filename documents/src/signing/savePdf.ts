import { constants, deflateSync } from 'node:zlib';
import { PDFFlateStream, PDFRawStream, typedArrayFor, type PDFDocument, type PDFObject } from 'pdf-lib';

const DEFLATE = { level: constants.Z_BEST_SPEED };

/**
 * Saves `doc` the way signing needs it — classic cross-reference table, no object streams (the
 * signature dictionary must be plain text to patch) — compressing every stream with Node's native
 * zlib instead of pdf-lib's bundled pure-JS deflate, which was a third of the cost of a document.
 * Level 1: on these small streams (font subset, page content) it is ~40% faster than the default
 * for ~5% more bytes.
 */
export async function savePdf(doc: PDFDocument): Promise<Uint8Array> {
  const ctx = doc.context;
  // Fonts (subset program, ToUnicode CMap) are compressed through context.flateStream during
  // flush; this instance-level override routes them through native zlib too.
  ctx.flateStream = (contents: string | Uint8Array, dict = {}) =>
    ctx.stream(deflateSync(typedArrayFor(contents), DEFLATE), { ...dict, Filter: 'FlateDecode' });
  await doc.flush();
  // Page content streams compress themselves lazily at write time; replace them by raw streams
  // holding natively compressed bytes (the dictionary already says /Filter /FlateDecode).
  const replacements: Array<[Parameters<typeof ctx.assign>[0], PDFObject]> = [];
  for (const [ref, object] of ctx.enumerateIndirectObjects()) {
    // `encode` is protected in pdf-lib's typings; false means the contents are already encoded.
    if (object instanceof PDFFlateStream && (object as unknown as { encode: boolean }).encode) {
      replacements.push([ref, PDFRawStream.of(object.dict, deflateSync(object.getUnencodedContents(), DEFLATE))]);
    }
  }
  for (const [ref, stream] of replacements) ctx.assign(ref, stream);
  return doc.save({ useObjectStreams: false, objectsPerTick: Number.POSITIVE_INFINITY, updateFieldAppearances: false, addDefaultPage: false });
}
