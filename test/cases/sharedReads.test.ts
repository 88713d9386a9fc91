import { describe, expect, it } from 'vitest';
import { SharedReads } from '@rvw/signaling/queue/SharedReads';

/** A read that resolves when the test says, numbered in the order reads started. */
function manualReads() {
  const started: { n: number; finish: () => void }[] = [];
  const read = () =>
    new Promise<number>((resolve) => {
      const n = started.length + 1;
      started.push({ n, finish: () => resolve(n) });
    });
  return { started, read };
}

const tick = () => new Promise((r) => setImmediate(r));

// Clerk pages all re-read their queue on one queue.changed: the node reads once for all of them,
// but never answers a page with a read that began before it asked (it could miss the change).
describe('SharedReads', () => {
  it('shares one read among the callers that asked before it started, never one already under way', async () => {
    const shared = new SharedReads<number>();
    const { started, read } = manualReads();

    const first = shared.get('q', read);
    expect(started).toHaveLength(1);
    // Asked while read 1 runs: both wait for read 2, which starts after read 1.
    const second = shared.get('q', read);
    const third = shared.get('q', read);
    expect(started).toHaveLength(1);

    started[0]!.finish();
    expect(await first).toBe(1);
    await tick();
    expect(started).toHaveLength(2);
    // Asked while read 2 runs: read 3.
    const fourth = shared.get('q', read);
    started[1]!.finish();
    expect(await second).toBe(2);
    expect(await third).toBe(2);
    await tick();
    started[2]!.finish();
    expect(await fourth).toBe(3);

    // Nothing under way: a new read at once.
    const fifth = shared.get('q', read);
    expect(started).toHaveLength(4);
    started[3]!.finish();
    expect(await fifth).toBe(4);
  });

  it('keeps keys apart and lets the next read start after a failed one', async () => {
    const shared = new SharedReads<string>();
    let fail: (e: Error) => void = () => undefined;
    const failing = shared.get('a', () => new Promise<string>((_, reject) => (fail = reject)));
    const other = shared.get('b', async () => 'b');
    const after = shared.get('a', async () => 'a again');
    expect(await other).toBe('b');
    fail(new Error('redis went away'));
    await expect(failing).rejects.toThrow('redis went away');
    expect(await after).toBe('a again');
  });
});
