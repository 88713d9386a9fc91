import { defineConfig } from 'vitest/config';

// Integration tests start real redis-server, mediasoup workers and Chromium; on a 2-core machine
// two test files at a time is the most that keeps timing-sensitive media assertions stable.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'sfu/**/*.test.ts', 'signaling/**/*.test.ts', 'documents/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    minWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
