import type { ErrorRequestHandler } from 'express';
import { AppError } from '../../errors/AppError.js';
import { httpErrorOf } from '../httpErrorOf.js';

/**
 * Error middleware of the document routes: every failure leaves as `{ok:false, error:{code,
 * message}}` with its status (documents errors mapped by httpErrorOf). An upload over the limit
 * is DOCUMENT_TOO_LARGE; anything unexpected becomes INTERNAL without leaking details.
 */
export const documentsErrorHandler: ErrorRequestHandler = (err, _req, res, next) => {
  if (res.headersSent) {
    next(err);
    return;
  }
  const error = httpErrorOf(err, { tooLarge: new AppError('DOCUMENT_TOO_LARGE', '上传的文件超过 10 MB 上限 (upload too large)', 413) });
  res.status(error.httpStatus).json({ ok: false, error: { code: error.code, message: error.message } });
};
