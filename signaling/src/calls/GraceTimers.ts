/** Options for {@link GraceTimers}. */
export interface GraceTimersOptions {
  /** How long a vanished peer keeps its media before it is removed. */
  graceMs: number;
}

/**
 * The grace period of peers whose socket vanished: a page reloading or a network blip gets its
 * media back if it returns in time (see CallService.join); otherwise `onExpire` removes it.
 */
export class GraceTimers {
  readonly #graceMs: number;
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(options: GraceTimersOptions) {
    this.#graceMs = options.graceMs;
  }

  /** Starts the peer's grace period; `onExpire` runs when it ends unless cancelled. */
  start(sessionId: string, peerId: string, onExpire: () => void): void {
    const key = keyOf(sessionId, peerId);
    clearTimeout(this.#timers.get(key));
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      onExpire();
    }, this.#graceMs);
    timer.unref();
    this.#timers.set(key, timer);
  }

  /** The peer came back (or left for good): its grace period ends here. */
  cancel(sessionId: string, peerId: string): void {
    const key = keyOf(sessionId, peerId);
    const timer = this.#timers.get(key);
    if (!timer) return;
    clearTimeout(timer);
    this.#timers.delete(key);
  }

  /** The call ended: no peer of it is waited for any more. */
  cancelSession(sessionId: string): void {
    for (const [key, t] of this.#timers) {
      if (key.startsWith(`${sessionId}/`)) {
        clearTimeout(t);
        this.#timers.delete(key);
      }
    }
  }

  /** True while the peer's grace period runs. */
  running(sessionId: string, peerId: string): boolean {
    return this.#timers.has(keyOf(sessionId, peerId));
  }

  /** Stops every timer (the node closes). */
  clear(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }
}

// Every key of a session starts with `{sessionId}/` (case and desk ids contain no slash).
const keyOf = (sessionId: string, peerId: string) => `${sessionId}/${peerId}`;
