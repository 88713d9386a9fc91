/** How long a picture's start is remembered for a recorder armed after it. */
const REMEMBER_MS = 30_000;

/**
 * The moments a picture of this node starts towards its first receiver: a paused pipe consumer (a
 * desk link's copy or slot feed, a desk copy sent on to another node) is about to be resumed, which
 * asks the sender for a keyframe. Whoever must have that same keyframe — the call's recorder — is
 * told first, synchronously, so that its own resume reaches the worker just before the pipe's: a
 * keyframe reaches every consumer of the producer that waits for one, while a request of its own
 * a moment later would be ignored by the browser (Chrome: a second request within 300 ms).
 *
 * One per node (SessionRegistry), shared by its sessions: a pipe is started by the session on
 * either end of it.
 */
export class PictureStarts {
  readonly #waiting = new Map<string, Set<() => void>>();
  /** Pictures started lately, and when: one armed too late (the link did not wait) starts at once. */
  readonly #started = new Map<string, number>();

  /**
   * Calls `start` once, synchronously, just before a pipe of `producerId` is resumed — or on the
   * next tick if one was resumed in the last {@link REMEMBER_MS} (the caller came too late to go
   * first; its own keyframe request is the best left). Returns a function that cancels it (a
   * timeout ran out, the producer closed).
   */
  once(producerId: string, start: () => void): () => void {
    if (this.#started.has(producerId)) {
      let cancelled = false;
      queueMicrotask(() => {
        if (!cancelled) start();
      });
      return () => {
        cancelled = true;
      };
    }
    let set = this.#waiting.get(producerId);
    if (set === undefined) this.#waiting.set(producerId, (set = new Set()));
    set.add(start);
    return () => {
      set.delete(start);
      if (set.size === 0 && this.#waiting.get(producerId) === set) this.#waiting.delete(producerId);
    };
  }

  /** A pipe of `producerId` is about to be resumed: whoever waits for it goes first. */
  starting(producerId: string): void {
    const now = Date.now();
    // Forget old starts as new ones come: the map stays as small as the node's recent calls.
    for (const [id, at] of this.#started) {
      if (now - at <= REMEMBER_MS) break;
      this.#started.delete(id);
    }
    this.#started.delete(producerId);
    this.#started.set(producerId, now);
    const set = this.#waiting.get(producerId);
    if (set === undefined) return;
    this.#waiting.delete(producerId);
    for (const start of set) start();
  }

  /** Producers someone waits for (diagnostics; empty when nothing is armed). */
  get size(): number {
    return this.#waiting.size;
  }
}
