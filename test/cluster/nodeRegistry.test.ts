import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODES_KEY, nodeKey, NodeRegistry } from '@rvw/signaling/cluster/NodeRegistry';
import { connectRedis, type RedisClient } from '@rvw/signaling/store/redisClient';
import { startTestRedis, type TestRedis } from '../harness/redis';

// The cluster's node registry on a real redis-server: each node writes its entry with a TTL on
// every heartbeat; one that stops heartbeating drops out of every listing once the TTL passes.
describe('node registry', () => {
  let redis: TestRedis;
  let client: RedisClient;
  beforeAll(async () => {
    redis = await startTestRedis();
    client = await connectRedis(redis.url);
  });
  afterAll(async () => {
    await client?.quit();
    await redis?.dispose();
  });

  const describeNode = (nodeId: string, regions: string[], sessions = 0) => () => ({
    nodeId,
    regions,
    pipeAddress: `10.0.0.${nodeId.length}`,
    origin: `https://${nodeId}.example`,
    load: { sessions, workers: 2 },
  });

  it('registers with a heartbeat, lists by region (least loaded first), and forgets a node after its TTL', async () => {
    // Heartbeats are timers of this (loaded) test process while Redis expires keys on its own clock:
    // the TTL leaves room for a late heartbeat (400 ms was four beats: one stall of the loop lost the entry).
    const TTL_MS = 1500;
    const wujiang = new NodeRegistry({ redis: client, heartbeatMs: 100, ttlMs: TTL_MS });
    const huoqiu = new NodeRegistry({ redis: client, heartbeatMs: 100, ttlMs: TTL_MS });
    const everywhere = new NodeRegistry({ redis: client, heartbeatMs: 100, ttlMs: TTL_MS });
    let huoqiuSessions = 3;
    await wujiang.start(describeNode('wj-1', ['320509']));
    await huoqiu.start(() => describeNode('hq-1', ['341522'], huoqiuSessions)());
    await everywhere.start(describeNode('all-1', ['*'], 1));

    expect((await wujiang.list()).map((n) => n.nodeId)).toEqual(['all-1', 'hq-1', 'wj-1']);
    expect((await wujiang.byRegion('341522')).map((n) => n.nodeId)).toEqual(['all-1', 'hq-1']);
    expect((await wujiang.byRegion('320509')).map((n) => n.nodeId)).toEqual(['wj-1', 'all-1']);
    expect(await huoqiu.get('wj-1')).toMatchObject({ nodeId: 'wj-1', regions: ['320509'], pipeAddress: '10.0.0.4', origin: 'https://wj-1.example', load: { sessions: 0, workers: 2 } });
    // The entry lives only its TTL in Redis itself.
    const ttl = await client.pTTL(nodeKey('wj-1'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(TTL_MS);

    // Each heartbeat carries the load of the moment.
    huoqiuSessions = 0;
    await huoqiu.heartbeat();
    expect((await wujiang.byRegion('341522')).map((n) => [n.nodeId, n.load.sessions])).toEqual([
      ['hq-1', 0],
      ['all-1', 1],
    ]);

    // Heartbeats keep an entry alive well past its TTL.
    await new Promise((r) => setTimeout(r, 2 * TTL_MS));
    expect((await wujiang.list()).map((n) => n.nodeId)).toEqual(['all-1', 'hq-1', 'wj-1']);

    // A node that stops heartbeating (a killed process: no deregistration) is gone after the TTL.
    await huoqiu.stop();
    expect(await wujiang.get('hq-1')).toBeDefined();
    // Gone once the TTL has run out (Redis expires it; allow for a loaded machine).
    await expect.poll(() => wujiang.get('hq-1'), { timeout: 15_000, interval: 100 }).toBeUndefined();
    expect((await wujiang.list()).map((n) => n.nodeId)).toEqual(['all-1', 'wj-1']);
    expect((await wujiang.byRegion('341522')).map((n) => n.nodeId)).toEqual(['all-1']);
    // ...and the index was pruned of it, not just filtered.
    expect(await client.zRange(NODES_KEY, 0, -1)).not.toContain('hq-1');

    // A clean stop deregisters at once.
    await everywhere.stop({ deregister: true });
    expect((await wujiang.list()).map((n) => n.nodeId)).toEqual(['wj-1']);
    await wujiang.stop({ deregister: true });
    expect(await wujiang.list()).toEqual([]);
  });
});
