import { describe, expect, it } from 'vitest';
import { DOCUMENT_ERROR_CODES, DocumentError } from '@rvw/documents';
import { httpErrorOf } from '@rvw/signaling/http/httpErrorOf';
import { toWireError } from '@rvw/signaling/ws/SignalingServer';

// documents fails with its own DocumentError; the signaling edge sends the same code, message and
// details it always did, with the HTTP status these codes always had.
const STATUS: Record<(typeof DOCUMENT_ERROR_CODES)[number], number> = {
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

describe('DocumentError at the signaling edge', () => {
  it.each(DOCUMENT_ERROR_CODES.map((code) => [code]))('%s keeps its code, message and details over HTTP and WebSocket', (code) => {
    const error = new DocumentError(code, '说明 (hint)', { number: 'RVW-341522-20261123-000001' });
    const http = httpErrorOf(error);
    expect({ code: http.code, status: http.httpStatus, message: http.message, details: http.details }).toEqual({ code, status: STATUS[code], message: '说明 (hint)', details: { number: 'RVW-341522-20261123-000001' } });
    expect(toWireError(error)).toEqual({ code, message: '说明 (hint)', details: { number: 'RVW-341522-20261123-000001' } });
  });

  it('without details, none on the wire', () => {
    expect(toWireError(new DocumentError('PRINT_TOKEN_INVALID', '打印凭证无效'))).toEqual({ code: 'PRINT_TOKEN_INVALID', message: '打印凭证无效' });
  });
});
