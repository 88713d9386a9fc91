/** A source of the current time in epoch milliseconds; injected so tests can move time. */
export interface Clock {
  /** Current time, epoch milliseconds. */
  now(): number;
}

/** The real wall clock. */
export const systemClock: Clock = { now: () => Date.now() };
