import type { DocumentError, DocumentErrorCode } from '@rvw/documents';
import { AppError } from './AppError.js';

/** The HTTP status of each documents error; exhaustive, so a new code fails the typecheck here. */
const STATUS: Record<DocumentErrorCode, number> = {
  DOCUMENT_INPUT_INVALID: 400,
  DOCUMENT_UNSUPPORTED_CHARACTER: 422,
  SIGNER_NOT_FOUND: 500,
  TIMESTAMP_FAILED: 502,
  DOCUMENT_NUMBER_TAKEN: 409,
  DOCUMENT_FILE_MISSING: 500,
  REPRINT_NOT_APPROVED: 409,
  PRINT_LOAD_LIMIT: 409,
  PRINT_TOKEN_INVALID: 410,
  FORBIDDEN: 403,
};

/** A documents error as the edge sends it: the same code, message and details, with its HTTP status. */
export function fromDocumentError(e: DocumentError): AppError {
  return new AppError(e.code, e.message, STATUS[e.code], e.details);
}
