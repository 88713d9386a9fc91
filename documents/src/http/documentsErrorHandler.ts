import type { ErrorRequestHandler } from 'express';
import { AppError } from '@rvw/signaling/errors/AppError';
import { httpErrorOf } from '@rvw/signaling/http/httpErrorOf';

/**
 * Express error middleware for the document routers: every failure leaves as
 * `{ok:false, error:{code, message}}` with the AppError's status. Body-parser failures get
 * stable codes of their own; anything unexpected becomes INTERNAL without leaking details.
 */
export const documentsErrorHandler: ErrorRequestHandler = (err, _req, res, next) => {
  if (res.headersSent) {
    next(err);
    return;
  }
  const error = httpErrorOf(err, { tooLarge: new AppError('DOCUMENT_TOO_LARGE', '上传的文件超过 10 MB 上限 (upload too large)', 413) });
  res.status(error.httpStatus).json({ ok: false, error: { code: error.code, message: error.message } });
};
