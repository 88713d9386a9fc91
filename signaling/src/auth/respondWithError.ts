import type { Response } from 'express';
import { toAppError } from '../errors/AppError.js';

/** Sends any thrown value as the JSON error body `{ ok: false, error: { code, message, details? } }`. */
export function respondWithError(res: Response, error: unknown): void {
  const e = toAppError(error);
  if (res.headersSent) return;
  res.status(e.httpStatus).json({ ok: false, error: e.toWire() });
}
