import { describe, expect, it } from 'vitest';
import { REQUEST_TYPES } from '@rvw/protocol/messages';
import { FUZZED_TYPES, runFuzz } from './support/fuzz';

// #12: a smaller run of bench/fuzz.ts (npm run bench:fuzz) with the same goals: hostile frames
// mutated from valid requests of every type, sent by an authenticated counter and clerk, are each
// answered with a stable code, none crashes anything or writes when refused, and a bystander
// stays fast.
describe('fuzzed signaling frames', () => {
  it('mutates every request type of the protocol', () => {
    expect([...FUZZED_TYPES].sort()).toEqual([...REQUEST_TYPES].sort());
  });

  it('4,000 hostile frames reaching the handlers: all answered, no INTERNAL, no crash, no refused frame wrote', async () => {
    const r = await runFuzz({ frames: 4000, seed: 7, requestsPerSecond: 1_000_000 });
    expect(r.frames).toBe(4000);
    expect(r.unanswered).toBe(0);
    expect(r.internal_errors).toBe(0);
    expect(r.crashes).toBe(0);
    expect(r.rejected_frames_that_wrote).toBe(0);
    // The frames reached the handlers (not only the edge): some were accepted, many refused by rules.
    expect(r.ok).toBeGreaterThan(100);
    expect(r.rate_limited).toBe(0);
    expect(Object.keys(r.codes).length).toBeGreaterThan(8);
  }, 120_000);

  it("a one-principal flood of 3,000 frames under the production budgets: the bystander's p99 stays within its goal", async () => {
    const r = await runFuzz({ frames: 3000, seed: 8, counterOnly: true });
    expect(r.unanswered).toBe(0);
    expect(r.internal_errors).toBe(0);
    expect(r.crashes).toBe(0);
    expect(r.rejected_frames_that_wrote).toBe(0);
    expect(r.rate_limited).toBeGreaterThan(1000);
    // The goal is 20 ms (the bench reports it); the suite shares its cores with other runs.
    expect(r.bystander_p99_ms).toBeLessThanOrEqual(40);
  }, 120_000);
});
