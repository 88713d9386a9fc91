import type { DocumentInput } from '../DocumentInput.js';
import type { PageWriter } from './PageWriter.js';

/**
 * A document type's wording and body layout. The frame every document shares (title, number,
 * issuer block, seal, QR code, footer) is drawn by renderDocument; a template only writes the
 * body between title and issuer block.
 */
export interface DocumentTemplate<T extends DocumentInput = DocumentInput> {
  /** Printed title, also stored as the document's title, e.g. 参保缴费证明. */
  readonly title: string;
  /** Writes the body for `input`. */
  renderBody(writer: PageWriter, input: T): void;
}
