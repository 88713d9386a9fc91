import type { Clock } from '@rvw/signaling/auth/Clock';

/** A clock that follows real time plus an offset the test can push forward. */
export interface TestClock extends Clock {
  /** Moves time forward by `ms`. */
  advance(ms: number): void;
}

/** Creates a {@link TestClock} starting at the real time. */
export function createTestClock(): TestClock {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance: (ms) => {
      offset += ms;
    },
  };
}
