import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '@rvw/signaling/store/redisClient';
import { CaseStore } from '@rvw/signaling/cases/CaseStore';
import { verifyAuditChain } from '@rvw/signaling/audit/verifyAuditChain';
import { startTestRedis, type TestRedis } from '../harness/redis';
import { WUJIANG_COUNTER, openAndAccept, startCaseWorld, type CaseWorld } from './fixtures';

// redis-server is SIGKILLed while writers stream case changes. AOF `appendfsync always` plus the
// single-script commit mean every change the client saw acknowledged survives, with its audit event.

let redis: TestRedis;
let world: CaseWorld;

beforeAll(async () => {
  redis = await startTestRedis();
  world = await startCaseWorld(redis.url);
});

afterAll(async () => {
  await world?.close();
  await redis?.dispose();
});

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(5);
  }
}

describe('kill -9 of redis-server during case writes', () => {
  it('loses no acknowledged write and keeps every audit chain intact', async () => {
    const WRITERS = 4;
    const caseIds: string[] = [];
    for (let i = 0; i < WRITERS; i++) caseIds.push(await openAndAccept(world));

    // Client-side ledger: the chat lines whose write was acknowledged, per case.
    const acked = new Map<string, string[]>(caseIds.map((id) => [id, []]));
    let ackCount = 0;
    let failures = 0;
    let stop = false;
    const writers = caseIds.map(async (caseId, w) => {
      for (let n = 0; !stop && n < 450; n++) {
        const text = `w${w}-${n}`;
        try {
          await world.service.addChat(WUJIANG_COUNTER, caseId, { text });
          acked.get(caseId)?.push(text);
          ackCount++;
        } catch {
          // Not acknowledged: it may or may not have landed, and either is fine.
          failures++;
          await sleep(10);
        }
      }
    });

    await until(() => ackCount >= 200, 20_000);
    const ackedBeforeKill = ackCount;
    await redis.server.kill9();
    await sleep(300);
    await redis.server.restart();
    await until(() => ackCount >= ackedBeforeKill + 200, 20_000);
    stop = true;
    await Promise.all(writers);

    // Read back through a fresh connection, as a restarted node would.
    const reader = await connectRedis(redis.url);
    try {
      const store = await CaseStore.create({ redis: reader });
      let lost = 0;
      for (const caseId of caseIds) {
        const { record, events } = await store.history(caseId);
        const present = new Set(record.chat.map((c) => c.text));
        lost += (acked.get(caseId) ?? []).filter((t) => !present.has(t)).length;
        expect(verifyAuditChain(events, { caseId, version: record.version, lastEventHash: record.lastEventHash })).toEqual({
          ok: true,
          count: record.version,
        });
        // One audit event per chat line written (plus opened and accepted).
        expect(events.filter((e) => e.action === 'chat.added')).toHaveLength(record.chat.length);
      }
      expect(lost).toBe(0);
      expect(failures).toBeGreaterThan(0); // the kill really hit writes in flight
      console.log(JSON.stringify({ test: 'kill9', acknowledged: ackCount, ackedBeforeKill, failures, lost }));
    } finally {
      reader.destroy();
    }
  });
});
