import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseStore } from '@rvw/signaling/cases/CaseStore';
import { loadConfig } from '@rvw/signaling/config';
import { connectRedisTarget, type RedisDeployment } from '@rvw/signaling/store/redisClient';
import { startTestRedis, type TestRedis } from '../harness/redis';

// How a node is told where Redis is and how many replicas a case commit waits for, and the
// refusal when none confirms — on a real redis-server with no replica.
describe('Redis deployment configuration and replicated acknowledgement', () => {
  it('reads the sentinels, and waits for one replica by default only with Sentinel', () => {
    const sentinel = loadConfig({ RVW_REDIS_SENTINELS: 'redis-a:26379, redis-b:26380', RVW_REDIS_PASSWORD: 'pw' });
    expect(sentinel.redisSentinel).toEqual({ name: 'rvw', sentinels: [{ host: 'redis-a', port: 26379 }, { host: 'redis-b', port: 26380 }], password: 'pw' });
    expect(sentinel.redisReplicaAck).toEqual({ replicas: 1, timeoutMs: 1000 });
    expect(loadConfig({ RVW_REDIS_URL: 'redis://127.0.0.1:6379' }).redisReplicaAck).toEqual({ replicas: 0, timeoutMs: 1000 });
    expect(loadConfig({ RVW_REDIS_URL: 'redis://x:1', RVW_REDIS_MIN_REPLICAS_ACK: '2', RVW_REDIS_ACK_TIMEOUT_MS: '250' }).redisReplicaAck).toEqual({ replicas: 2, timeoutMs: 250 });
    expect(() => loadConfig({ RVW_REDIS_SENTINELS: 'redis-a' })).toThrow(/RVW_REDIS_SENTINELS/);
    expect(() => loadConfig({ RVW_REDIS_MIN_REPLICAS_ACK: '-1' })).toThrow(/RVW_REDIS_MIN_REPLICAS_ACK/);
  });

  describe('a URL deployment that requires a replica it does not have', () => {
    let redis: TestRedis;
    let deployment: RedisDeployment;
    beforeAll(async () => {
      redis = await startTestRedis();
      deployment = await connectRedisTarget({ url: redis.url }, { replicas: 1, timeoutMs: 100 });
    });
    afterAll(async () => {
      await deployment?.redis.quit();
      await redis?.dispose();
    });

    it('refuses the case commit with REDIS_NOT_REPLICATED and the Chinese message, though the primary has it', async () => {
      const store = await CaseStore.create({ redis: deployment.redis, replicaAck: deployment.replicaAck });
      const started = Date.now();
      const refused = await store
        .insert(
          {
            id: 'repl-1', state: 'queued', partnershipId: 'wujiang-huoqiu', itemCode: '000117005000', itemName: '测试', servingRegion: '341522',
            applicantRegion: '320509', hallId: 'h', counterId: 'c', applicant: { name: '陈建国', idNumber: '341522195803124510' },
            fields: {}, checklist: [], materials: [], documents: [], chat: [], ratings: {},
          },
          { actor: { id: 'c', role: 'counter', region: '320509' }, action: 'case.opened', data: {} },
        )
        .then(() => undefined, (e: unknown) => e);
      expect(refused).toMatchObject({ code: 'REDIS_NOT_REPLICATED', message: '数据暂未同步到备用库，请稍后重试', httpStatus: 503, details: { replicas: 0, required: 1 } });
      // WAIT waited its timeout, no longer.
      expect(Date.now() - started).toBeGreaterThanOrEqual(90);
      expect((await store.get('repl-1'))?.version).toBe(1);
    });
  });
});
