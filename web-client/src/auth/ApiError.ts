/** An error answered by our HTTP API: `{ ok: false, error: { code, message, details? } }`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    /** Stable error code, e.g. `AUTH_INVITE_EXPIRED`. */
    readonly code: string,
    message: string,
    /** HTTP status of the answer (0 when the network failed). */
    readonly status: number,
    /** Machine-readable extras, e.g. `{ reason: 'AUTH_SESSION_EXPIRED' }`. */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}
