import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@rvw/signaling/errors/AppError';
import { startTestRedis, type TestRedis } from '../harness/redis';
import { APPLICANT, ITEMS, WUJIANG_COUNTER, huoqiuClerk, startCaseWorld, type CaseWorld } from './fixtures';

// Two 霍邱 clerks, each on their own node (own Redis connection), press 接入 on the same case at
// the same moment. Exactly one may get it.

let redis: TestRedis;
let nodeA: CaseWorld;
let nodeB: CaseWorld;

beforeAll(async () => {
  redis = await startTestRedis();
  nodeA = await startCaseWorld(redis.url);
  nodeB = await startCaseWorld(redis.url, { dataDir: nodeA.dataDir });
});

afterAll(async () => {
  await nodeB?.close();
  await nodeA?.close();
  await redis?.dispose();
});

describe('acceptCase race', () => {
  it('gives each of 50 cases to exactly one of two clerks accepting at once', async () => {
    const clerk1 = huoqiuClerk('clerk-hq-1');
    const clerk2 = huoqiuClerk('clerk-hq-2');
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      const c = await nodeA.service.openCase(WUJIANG_COUNTER, { partnershipId: nodeA.demo.partnershipId, itemCode: ITEMS.pension, applicant: APPLICANT });
      ids.push(c.id);
    }
    expect(await nodeA.service.listQueue('341522')).toHaveLength(50);

    // All 100 accepts in flight together, alternating which clerk's request goes first.
    const rounds = await Promise.all(
      ids.map((id, i) =>
        Promise.allSettled(
          i % 2 === 0
            ? [nodeA.service.acceptCase(clerk1, id), nodeB.service.acceptCase(clerk2, id)]
            : [nodeB.service.acceptCase(clerk2, id), nodeA.service.acceptCase(clerk1, id)],
        ),
      ),
    );

    for (const [i, results] of rounds.entries()) {
      const winners = results.filter((r) => r.status === 'fulfilled');
      const losers = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(winners, `case ${i}`).toHaveLength(1);
      expect(losers).toHaveLength(1);
      expect(losers[0]?.reason).toBeInstanceOf(AppError);
      expect((losers[0]?.reason as AppError).code).toBe('CASE_ALREADY_ACCEPTED');
      const winner = (winners[0] as PromiseFulfilledResult<{ clerkId?: string }>).value.clerkId;
      const stored = await nodeA.service.getCase(ids[i] as string);
      expect(stored.state).toBe('in_session');
      expect(stored.clerkId).toBe(winner);
      const { events } = await nodeA.service.audit(stored.id);
      expect(events.filter((e) => e.action === 'case.accepted')).toHaveLength(1);
    }
    expect(await nodeA.service.listQueue('341522')).toHaveLength(0);
    expect(await nodeA.redis.zCard(`queue:${nodeA.demo.partnershipId}:341522:${ITEMS.pension}`)).toBe(0);
  });
});
