/** One release step of a node. */
export type Closer = () => Promise<void> | void;

/**
 * What a node releases on close, in order. Parts that use others (timers, calls, media) register
 * with `addFirst` so they stop before the stores and connections they use (`add`) go away.
 */
export class Closers {
  readonly #steps: Closer[] = [];

  /** Runs after every step registered so far. */
  add(step: Closer): void {
    this.#steps.push(step);
  }

  /** Runs before every step registered so far. */
  addFirst(step: Closer): void {
    this.#steps.unshift(step);
  }

  /** True until `runAll` took the steps. */
  get open(): boolean {
    return this.#steps.length > 0;
  }

  /** Runs each step once, in order; later calls do nothing. */
  async runAll(): Promise<void> {
    for (const step of this.#steps.splice(0)) await step();
  }
}
