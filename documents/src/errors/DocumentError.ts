/**
 * Every code a document operation can fail with. They are wire codes: the signaling edge sends
 * them to clients unchanged (with an HTTP status of its choosing), so they never change once
 * published (docs/protocol.md lists them).
 */
export const DOCUMENT_ERROR_CODES = [
  /** The issue request does not validate (DocumentInputSchema); `details.problems`. */
  'DOCUMENT_INPUT_INVALID',
  /** A character the embedded font cannot draw; `details.characters`. */
  'DOCUMENT_UNSUPPORTED_CHARACTER',
  /** This node holds no signing key for the issuing region; `details.regionCode`. */
  'SIGNER_NOT_FOUND',
  /** The RFC 3161 timestamp authority failed or answered something unusable. */
  'TIMESTAMP_FAILED',
  /** The number is already claimed; `details.number`. */
  'DOCUMENT_NUMBER_TAKEN',
  /** The index knows the document but its archived PDF is gone; `details.number`. */
  'DOCUMENT_FILE_MISSING',
  /** Every allowed print was made; a further one needs the issuing clerk's approval. */
  'REPRINT_NOT_APPROVED',
  /** Too many loads (or tokens) without a confirmed print; `details.budget`. */
  'PRINT_LOAD_LIMIT',
  /** The print token is malformed, unknown, expired, already used or never loaded. */
  'PRINT_TOKEN_INVALID',
  /**
   * The print token is bound to another counter or another document. A capability check of the
   * token itself, not an access decision about the person (those are the policy's).
   */
  'FORBIDDEN',
] as const;

/** A stable code of {@link DocumentError}. */
export type DocumentErrorCode = (typeof DOCUMENT_ERROR_CODES)[number];

/**
 * The documents package's error: a stable code, a message a person understands (Simplified
 * Chinese, with a short English hint for the log), and machine-readable details. It knows no
 * transport: the signaling edge maps the code to an HTTP status or a WebSocket error.
 */
export class DocumentError extends Error {
  override readonly name = 'DocumentError';

  constructor(
    readonly code: DocumentErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}
