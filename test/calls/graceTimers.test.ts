import { describe, expect, it } from 'vitest';
import { GraceTimers } from '@rvw/signaling/calls/GraceTimers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('GraceTimers: a vanished peer keeps its place for the grace period', () => {
  it('a peer not taken back is removed once the grace period ends, not before', async () => {
    // Timers of one loop run in deadline order, and a resolved sleep continues before the next
    // timer: each check below happens before the grace timer can fire, however loaded the machine.
    const timers = new GraceTimers({ graceMs: 150 });
    const expired: string[] = [];
    const started = Date.now();
    timers.start('case-1', 'counter-1', () => expired.push(`counter-1 after ${Date.now() - started}`));
    await sleep(60);
    expect(expired).toEqual([]);
    expect(timers.running('case-1', 'counter-1')).toBe(true);
    await sleep(200);
    expect(expired).toHaveLength(1);
    expect(Number(expired[0]!.split(' ').pop())).toBeGreaterThanOrEqual(145);
    expect(timers.running('case-1', 'counter-1')).toBe(false);
  });

  it('a peer back within the grace period is never removed; other peers are unaffected', async () => {
    const timers = new GraceTimers({ graceMs: 100 });
    const expired: string[] = [];
    timers.start('case-1', 'counter-1', () => expired.push('counter-1'));
    timers.start('case-1', 'clerk-1', () => expired.push('clerk-1'));
    await sleep(30);
    timers.cancel('case-1', 'counter-1');
    await sleep(150);
    expect(expired).toEqual(['clerk-1']);
  });

  it('vanishing again restarts the period (one removal, counted from the last time)', async () => {
    const timers = new GraceTimers({ graceMs: 120 });
    const expired: number[] = [];
    const started = Date.now();
    timers.start('case-1', 'counter-1', () => expired.push(Date.now() - started));
    await sleep(60);
    timers.start('case-1', 'counter-1', () => expired.push(Date.now() - started));
    await sleep(250);
    expect(expired).toHaveLength(1);
    expect(expired[0]).toBeGreaterThanOrEqual(175);
  });

  it('an ended call cancels its own peers only; clear() stops everything', async () => {
    const timers = new GraceTimers({ graceMs: 80 });
    const expired: string[] = [];
    timers.start('case-1', 'a', () => expired.push('case-1/a'));
    timers.start('case-1', 'b', () => expired.push('case-1/b'));
    // A session id that merely starts like the other must not be taken for it.
    timers.start('case-10', 'a', () => expired.push('case-10/a'));
    timers.cancelSession('case-1');
    await sleep(150);
    expect(expired).toEqual(['case-10/a']);
    timers.start('case-2', 'a', () => expired.push('case-2/a'));
    timers.clear();
    await sleep(150);
    expect(expired).toEqual(['case-10/a']);
  });
});
