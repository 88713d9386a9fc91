import type { ErrorCode } from '@rvw/protocol/errors';

/** An SFU failure with a stable code; the signaling edge sends it to the client as `{code, message}`. */
export class SfuError extends Error {
  override readonly name = 'SfuError';

  constructor(
    /** Stable code, e.g. TRANSPORT_NOT_FOUND. */
    readonly code: ErrorCode,
    message: string,
    /** Extra machine-readable facts, e.g. which budget was exceeded. */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  /** An id the peer does not own (or that does not exist): we never reveal which. */
  static notFound(code: 'TRANSPORT_NOT_FOUND' | 'PRODUCER_NOT_FOUND' | 'CONSUMER_NOT_FOUND', id: string): SfuError {
    return new SfuError(code, `未找到媒体对象 ${id.slice(0, 40)} (not found in your session)`);
  }

  /** The session was closed (hang-up or worker failure). */
  static sessionClosed(sessionId: string): SfuError {
    return new SfuError('SESSION_CLOSED', `会话 ${sessionId} 已结束 (media session closed)`);
  }

  /** A budget (see signaling config.budgets) would be exceeded: nothing was created. */
  static budget(budget: string, limit: number, message: string): SfuError {
    return new SfuError('BUDGET_EXCEEDED', message, { budget, limit });
  }

  /** The node has no RTC port left: an expected condition under load, not an internal error. */
  static portsExhausted(): SfuError {
    return new SfuError('RTC_PORTS_EXHAUSTED', '媒体服务器繁忙（端口已满），请稍后重试 (no RTC port available)');
  }

  /** A peer may produce each source (mic, face, document, screen) once. */
  static duplicateSource(source: string): SfuError {
    return new SfuError('DUPLICATE_SOURCE', `该媒体源已在发送: ${source} (close the existing producer first)`);
  }
}
