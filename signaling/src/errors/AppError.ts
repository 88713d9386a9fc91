import type { ErrorCode, WireError } from '@rvw/protocol/errors';

/**
 * An error with a stable machine-readable `code` that travels to clients as `{code, message}`.
 * Messages say what went wrong and how to fix it; codes never change once published
 * (docs/protocol.md lists them).
 */
export class AppError extends Error {
  override readonly name = 'AppError';

  constructor(
    /** Stable code, SCREAMING_SNAKE_CASE, e.g. `CASE_VERSION_CONFLICT`. */
    readonly code: ErrorCode,
    message: string,
    /** HTTP status when the error leaves through the HTTP API. */
    readonly httpStatus: number = 400,
    /** Extra machine-readable facts, e.g. the current version on a conflict. */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  /** The wire form `{code, message, details?}`. */
  toWire(): WireError {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

/** True when `e` is an AppError (also across module copies, by duck typing the code). */
export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** Converts anything thrown into an AppError; unknown errors become INTERNAL without leaking details. */
export function toAppError(e: unknown): AppError {
  if (e instanceof AppError) return e;
  return new AppError('INTERNAL', '服务器内部错误，请稍后重试 (internal error)', 500);
}
