import { defineConfig } from 'vitest/config';

// Packages import each other by name (@rvw/*); the "source" export condition makes vitest load
// their TypeScript sources instead of the compiled dist/ output.
const conditions = ['source', 'module', 'node', 'development|production'];

// Integration tests start real redis-server, mediasoup workers and Chromium; on a 2-core machine
// two test files at a time is the most that keeps timing-sensitive media assertions stable.
const ALONE = ['test/recording/callRecording.test.ts', 'test/recording/sessionRecorder.test.ts', 'test/recording/playbackPage.test.ts'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    // The node serves built pages (RVW_WEB_ROOT); this builds them once per run from the sources.
    globalSetup: ['test/build/webRoot.globalSetup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    minWorkers: 1,
    // Browser walks take ~35 s alone and went past 60 s under CI load; a hang still fails.
    testTimeout: 120_000,
    // expect.poll's own default (1 s) is a load test on this machine, not a wait.
    expect: { poll: { timeout: 15_000 } },
    hookTimeout: 120_000,
    reporters: ['default'],
    // The recorder tests judge each file's length and first picture against the wall clock; beside
    // a Chromium walk on 2 cores their stamps lag by hundreds of ms (two CI refusals, sessions 13
    // and 14). They run after everything else, one file at a time. Their goals under load belong
    // to bench:recording; here they check what is recorded, not how fast the machine is. The
    // playback page's test holds five media elements to one timeline within 300 ms: beside a call
    // test its elements lagged the clock (seen locally and in the official CI of session 16).
    projects: [
      { extends: true, test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: [...ALONE, 'node_modules/**'], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'alone', include: ALONE, maxWorkers: 1, minWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
