/**
 * bench/fuzz: ≥ 100,000 hostile WebSocket frames, mutated from valid requests of every request
 * type, sent by an authenticated counter and clerk to a real regional node (real Redis, real
 * mediasoup worker), while a bystander of another region measures its own ping round trip. Prints
 * one JSON line: frames, unanswered (goal 0), internal_errors (0), crashes (0),
 * rejected_frames_that_wrote (0), bystander_p99_ms (≤ 20), rss_before_mb, rss_after_mb, and how
 * the answers were spread. Two passes: FRAMES frames from the counter and the clerk with the
 * request budget lifted (so they reach the handlers: the coverage figures), then FRAMES/5 from the
 * counter alone with the production budgets (the one-principal flood: bystander_p99_ms; its
 * figures for the unthrottled pass are under `coverage`). The engine is
 * test/security/support/fuzz.ts (the suite runs it small).
 *
 *   npm run bench:fuzz          (FRAMES=100000, WINDOW=32 frames in flight per socket, SEED=12)
 */
import { printResult } from './runBench';
import { runFuzz } from '../test/security/support/fuzz';

const frames = Number(process.env.FRAMES ?? 100_000);
const window = Number(process.env.WINDOW ?? 32);
const seed = Number(process.env.SEED ?? 12);
// Pass 1, coverage: the request budget lifted so every frame reaches validation and the handlers.
const coverage = await runFuzz({ frames, window, seed, requestsPerSecond: 1_000_000 });
// Pass 2, the one-principal flood with the production budgets: what a bystander notices.
const flood = await runFuzz({ frames: Math.ceil(frames / 5), window, seed: seed + 1, counterOnly: true });
printResult({
  bench: 'fuzz',
  window,
  seed,
  frames: coverage.frames + flood.frames,
  unanswered: coverage.unanswered + flood.unanswered,
  internal_errors: coverage.internal_errors + flood.internal_errors,
  crashes: coverage.crashes + flood.crashes,
  rejected_frames_that_wrote: coverage.rejected_frames_that_wrote + flood.rejected_frames_that_wrote,
  bystander_p99_ms: flood.bystander_p99_ms,
  bystander_p50_ms: flood.bystander_p50_ms,
  bystander_quiet_p99_ms: flood.bystander_quiet_p99_ms,
  rss_before_mb: coverage.rss_before_mb,
  rss_after_mb: flood.rss_after_mb,
  coverage: { ...coverage, note: 'request budget lifted: every frame reaches the handlers' },
  flood: { frames: flood.frames, ok: flood.ok, rate_limited: flood.rate_limited, seconds: flood.seconds, rss_after_mb: flood.rss_after_mb },
});
process.exit(0);
