import { DocumentError } from '@rvw/documents';
import { AppError, toAppError } from '../errors/AppError.js';
import { fromDocumentError } from '../errors/fromDocumentError.js';

/**
 * The one mapping from anything an express route or middleware throws to a stable AppError:
 * body-parser and express errors (too large, malformed JSON, unsupported encoding or charset,
 * a malformed %-escape in the path) become 4xx with their own codes; AppErrors pass through;
 * anything else is INTERNAL. Every router's error handler goes through here, so a given bad
 * request gets the same answer on every route.
 */
export function httpErrorOf(err: unknown, overrides: { tooLarge?: AppError } = {}): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof DocumentError) return fromDocumentError(err);
  const e = (err ?? {}) as { status?: unknown; statusCode?: unknown; type?: unknown };
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  switch (e.type) {
    case 'entity.too.large':
      return overrides.tooLarge ?? new AppError('PAYLOAD_TOO_LARGE', '请求内容过大 (request body too large)', 413);
    case 'entity.parse.failed':
      return new AppError('BAD_REQUEST', '请求体不是合法的 JSON (malformed JSON body)', 400);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('UNSUPPORTED_ENCODING', '不支持的请求编码 (unsupported content encoding or charset)', 415);
    default:
      break;
  }
  if (err instanceof URIError) return new AppError('BAD_REQUEST', '请求路径中的编码无效 (malformed %-escape in the URL)', 400);
  if (status === 413) return overrides.tooLarge ?? new AppError('PAYLOAD_TOO_LARGE', '请求内容过大 (request body too large)', 413);
  if (status !== undefined && status >= 400 && status < 500) return new AppError('BAD_REQUEST', '请求无效 (bad request)', status);
  return toAppError(err);
}
