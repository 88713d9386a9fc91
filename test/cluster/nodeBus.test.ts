import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeBus, NodeBusError, nodeChannel, signEnvelope } from '@rvw/signaling/cluster/NodeBus';
import { silentLogger } from '@rvw/signaling/observability/logger';
import { connectRedis, type RedisClient } from '@rvw/signaling/store/redisClient';
import { startTestRedis, type TestRedis } from '../harness/redis';

const SECRET = 'cluster-secret-for-the-node-bus-test-0123';

// Node-to-node requests over real Redis pub/sub: addressed to a node id, signed with the cluster
// secret. What a forger, a replayer or a node without the secret sends is dropped unanswered.
describe('node bus', () => {
  let redis: TestRedis;
  let client: RedisClient;
  let a: NodeBus;
  let b: NodeBus;
  const handled: unknown[] = [];

  beforeAll(async () => {
    redis = await startTestRedis();
    client = await connectRedis(redis.url);
    a = await NodeBus.create({ redis: client, nodeId: 'node-a', secret: SECRET, logger: silentLogger(), timeoutMs: 1000 });
    b = await NodeBus.create({ redis: client, nodeId: 'node-b', secret: SECRET, logger: silentLogger(), timeoutMs: 1000 });
    b.handle('pipe.open', async (body, from) => {
      handled.push({ body, from });
      if ((body as { sessionId: string }).sessionId === 'nowhere') throw new NodeBusError('SESSION_NOT_HERE', 'no router of nowhere');
      return { endpoint: { ip: '10.1.1.1', port: 40123 } };
    });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await client?.quit();
    await redis?.dispose();
  });

  it('answers a signed request addressed to it, and carries its refusal back', async () => {
    expect(await a.request('node-b', 'pipe.open', { sessionId: 'case-1' })).toEqual({ endpoint: { ip: '10.1.1.1', port: 40123 } });
    expect(handled).toEqual([{ body: { sessionId: 'case-1' }, from: 'node-a' }]);
    await expect(a.request('node-b', 'pipe.open', { sessionId: 'nowhere' })).rejects.toMatchObject({ code: 'SESSION_NOT_HERE' });
    await expect(a.request('node-b', 'no.such', {})).rejects.toMatchObject({ code: 'UNKNOWN_REQUEST' });
    // Nobody listens for a node that does not exist: the request times out.
    await expect(a.request('node-z', 'pipe.open', { sessionId: 'case-1' })).rejects.toMatchObject({ code: 'NODE_UNREACHABLE' });
  });

  it('drops unsigned, forged, tampered, misaddressed, stale and replayed requests without acting on them', async () => {
    handled.length = 0;
    const before = b.rejected.length;
    const base = { id: randomUUID(), from: 'node-a', to: 'node-b', at: Date.now(), kind: 'request' as const, type: 'pipe.open', body: { sessionId: 'case-2', endpoint: { ip: '6.6.6.6', port: 6666 } } };
    const send = (m: unknown) => client.publish(nodeChannel('node-b'), JSON.stringify(m));

    await send(base); // unsigned
    await send({ ...base, id: randomUUID(), sig: signEnvelope('some-other-secret-of-a-forger-0000000', { ...base }) }); // forged: wrong secret
    const signed = { ...base, id: randomUUID() };
    await send({ ...signed, body: { sessionId: 'case-3', endpoint: { ip: '6.6.6.6', port: 6666 } }, sig: signEnvelope(SECRET, signed) }); // tampered after signing
    const elsewhere = { ...base, id: randomUUID(), to: 'node-c' };
    await send({ ...elsewhere, sig: signEnvelope(SECRET, elsewhere) }); // for another node, sent to this one
    const stale = { ...base, id: randomUUID(), at: Date.now() - 120_000 };
    await send({ ...stale, sig: signEnvelope(SECRET, stale) });
    // A genuine message, then the very same bytes again: the second is a replay.
    const genuine = { ...base, id: randomUUID() };
    await send({ ...genuine, sig: signEnvelope(SECRET, genuine) });
    await send({ ...genuine, sig: signEnvelope(SECRET, genuine) });

    await expect.poll(() => b.rejected.length - before, { timeout: 15_000 }).toBe(6);
    expect(b.rejected.slice(before)).toEqual(['malformed', 'bad_signature', 'bad_signature', 'misaddressed', 'stale', 'replayed']);
    // Only the genuine one reached the handler, once.
    expect(handled).toEqual([{ body: { sessionId: 'case-2', endpoint: { ip: '6.6.6.6', port: 6666 } }, from: 'node-a' }]);
  });

  it('a node with another secret is not heard: its request goes unanswered', async () => {
    const outsider = await NodeBus.create({ redis: client, nodeId: 'node-x', secret: 'not-the-cluster-secret-0000000000000000', logger: silentLogger(), timeoutMs: 500 });
    handled.length = 0;
    await expect(outsider.request('node-b', 'pipe.open', { sessionId: 'case-4' })).rejects.toMatchObject({ code: 'NODE_UNREACHABLE' });
    expect(handled).toEqual([]);
    expect(b.rejected.at(-1)).toBe('bad_signature');
    await outsider.close();
  });
});
