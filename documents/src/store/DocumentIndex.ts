import type { DocumentRecord } from './DocumentRecord.js';

/**
 * How a document's index entry stands: `reserved` (signed and on disk, its number claimed, but
 * invisible until its case accepts it), `issued` (findable, verifiable) or `withdrawn` (its case
 * refused it: the number stays used, the PDF is gone).
 */
export type DocumentState = 'reserved' | 'issued' | 'withdrawn';

/** One entry of the index: the record and its state. */
export interface IndexedDocument {
  record: DocumentRecord;
  state: DocumentState;
}

/** What a document can be looked up by besides its number. */
export type DocumentPointer = { sha256: string } | { handle: string };

/**
 * The storage port of the document index: what {@link DocumentStore} needs from a shared,
 * durable key-value store (the signaling node provides a Redis adapter). Every operation is
 * atomic on its own; a number is claimed at most once, across every node sharing the index.
 */
export interface DocumentIndex {
  /** The next sequence number (1, 2, …) of `regionCode` on China calendar day `day` (yyyymmdd). */
  nextSequence(regionCode: string, day: string): Promise<number>;
  /**
   * Claims `record.number` in `state` unless it exists (then false, nothing changed). When
   * `issued`, the SHA-256 and handle point at it too: the document is findable at once.
   */
  create(record: DocumentRecord, state: 'reserved' | 'issued'): Promise<boolean>;
  /** Points the SHA-256 and the handle at a reserved entry, then marks it issued (in that order). */
  publish(record: Pick<DocumentRecord, 'number' | 'sha256' | 'handle'>): Promise<void>;
  /** Marks the entry withdrawn. */
  withdraw(number: string): Promise<void>;
  /** The entry of `number`, in whatever state, or undefined. */
  get(number: string): Promise<IndexedDocument | undefined>;
  /** The number a pointer leads to, or undefined. */
  numberOf(pointer: DocumentPointer): Promise<string | undefined>;
}
