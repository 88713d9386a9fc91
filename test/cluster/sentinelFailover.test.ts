import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSentinelSet } from '@rvw/infra/redis/RedisSentinelSet';
import { connectRedisSentinel, type RedisSentinelClient } from '@rvw/signaling/store/redisClient';

// kill -9 of the primary during a loop of writes: a write counts as acknowledged only when
// WAIT 1 reports a replica has it; every acknowledged write must be on the new primary.
describe('Redis Sentinel failover', () => {
  let dir: string;
  let set: RedisSentinelSet;
  let client: RedisSentinelClient;
  const heard: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rvw-sentinel-'));
    set = await RedisSentinelSet.start({ dataDir: dir, downAfterMs: 1000 });
    client = await connectRedisSentinel({ name: set.name, sentinels: set.sentinels, password: set.password });
    // Subscribed before the failover, like the event bus at a node's start.
    await client.subscribe('rvw:events', (message) => heard.push(message));
    // Three redis-servers and three sentinels starting on a loaded 2-core CI machine.
  }, 120_000);

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await set?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged write and resumes writing after the primary is killed', async () => {
    const oldPrimary = await set.primaryPort();
    const acknowledged: number[] = [];
    let refused = 0;
    let killedAt = 0;
    let firstAfterKill = 0;
    for (let i = 0; i < 400; i++) {
      if (i % 50 === 0) console.log(`write ${i}: ${acknowledged.length} acknowledged`);
      if (i === 100) {
        await set.kill9(oldPrimary);
        killedAt = Date.now();
      }
      try {
        // SET and WAIT on one leased connection: WAIT counts that connection's writes.
        const replicas = await withTimeout(
          client.use(async (c) => {
            await c.set(`case:${i}`, String(i));
            // WAIT's timeout only bounds how long a replica may take to confirm; on a loaded CI
            // machine a starved replica can take over 1 s, and the 100 writes before the kill must all count.
            return Number(await c.sendCommand(false, ['WAIT', '1', '3000']));
          }),
          5000,
        );
        if (replicas >= 1) {
          acknowledged.push(i);
          if (killedAt && !firstAfterKill) firstAfterKill = Date.now();
        } else refused++;
      } catch (error) {
        if (refused === 0) console.log('first failure:', (error as Error).message);
        refused++;
        await new Promise((r) => setTimeout(r, 50));
      }
      if (killedAt && firstAfterKill && acknowledged.filter((n) => n > 100).length >= 20) break;
    }
    const failoverMs = firstAfterKill - killedAt;
    console.log(`sentinel failover: ${failoverMs} ms from kill -9 to first acknowledged write; acknowledged ${acknowledged.length}, refused/failed ${refused}`);
    expect(firstAfterKill).toBeGreaterThan(0);
    expect(acknowledged.filter((n) => n < 100)).toHaveLength(100);
    const newPrimary = await set.primaryPort();
    expect(newPrimary).not.toBe(oldPrimary);
    const reader = await set.dataClient(newPrimary);
    try {
      const values = await reader.mGet(acknowledged.map((n) => `case:${n}`));
      const lost = acknowledged.filter((n, k) => values[k] !== String(n));
      expect(lost).toEqual([]);
    } finally {
      reader.destroy();
    }
  }, 120_000);

  it('delivers a notification published after the failover to the subscriber from before it', async () => {
    const before = await set.primaryPort();
    // Re-subscribing after a failover is slow on a loaded machine; this waits for it, it does not time it.
    const deadline = Date.now() + 45_000;
    // The subscriber re-subscribes on its own; publish until it hears one (or the deadline).
    while (!heard.includes('after-failover') && Date.now() < deadline) {
      await withTimeout(client.publish('rvw:events', 'after-failover'), 3000).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(heard).toContain('after-failover');
    expect(await set.primaryPort()).toBe(before);
  }, 90_000);
});

/** A write that neither succeeds nor fails within `ms` counts as not acknowledged. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)),
  ]);
}
