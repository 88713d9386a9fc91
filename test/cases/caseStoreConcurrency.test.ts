import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '@rvw/signaling/auth/Principal';
import { AppError } from '@rvw/signaling/errors/AppError';
import { startTestRedis, type TestRedis } from '../harness/redis';
import { WUJIANG_COUNTER, huoqiuClerk, openAndAccept, startCaseWorld, type CaseWorld } from './fixtures';

// Two regions edit one case at the same time through two separate Redis connections. With the
// version compare-and-set no acknowledged edit may be lost, and conflicts must actually happen.

let redis: TestRedis;
let wujiang: CaseWorld;
let huoqiu: CaseWorld;

beforeAll(async () => {
  redis = await startTestRedis();
  wujiang = await startCaseWorld(redis.url);
  huoqiu = await startCaseWorld(redis.url, { dataDir: wujiang.dataDir });
});

afterAll(async () => {
  await huoqiu?.close();
  await wujiang?.close();
  await redis?.dispose();
});

describe('case record compare-and-set', () => {
  it('keeps every acknowledged edit of two concurrent writers (1,000 writes) and reports conflicts', async () => {
    const clerk = huoqiuClerk();
    const caseId = await openAndAccept(wujiang, clerk);
    const initial = await wujiang.service.getCase(caseId);

    // Each side counts its own acknowledged writes in its own field; a lost update would roll the
    // other side's counter back, so at the end each counter must equal that side's ledger.
    const run = async (world: CaseWorld, who: Principal, field: string, writes: number) => {
      const ledger: number[] = [];
      let conflicts = 0;
      while (ledger.length < writes) {
        const current = await world.service.getCase(caseId);
        try {
          const next = await world.service.updateFields(who, caseId, {
            expectedVersion: current.version,
            set: { [field]: String(ledger.length + 1), last: field },
          });
          ledger.push(next.version);
        } catch (e) {
          if (!(e instanceof AppError && e.code === 'CASE_VERSION_CONFLICT')) throw e;
          expect(e.details?.currentVersion).toBeGreaterThan(current.version);
          conflicts++;
        }
      }
      return { ledger, conflicts };
    };

    const [a, b] = await Promise.all([run(wujiang, WUJIANG_COUNTER, 'counterEdits', 500), run(huoqiu, clerk, 'clerkEdits', 500)]);

    const final = await huoqiu.service.getCase(caseId);
    expect(final.fields.counterEdits).toBe('500');
    expect(final.fields.clerkEdits).toBe('500');
    expect(a.conflicts + b.conflicts).toBeGreaterThan(0);
    expect(final.version).toBe(initial.version + a.ledger.length + b.ledger.length);
    // Every acknowledged write got its own version: no two writers ever committed on the same base.
    const versions = [...a.ledger, ...b.ledger].sort((x, y) => x - y);
    expect(versions).toEqual(Array.from({ length: 1000 }, (_, i) => initial.version + 1 + i));

    const audit = await wujiang.service.audit(caseId);
    expect(audit.verdict).toEqual({ ok: true, count: final.version });
    console.log(JSON.stringify({ test: 'cas', conflicts: a.conflicts + b.conflicts, version: final.version }));
  });

  it('lets exactly one of two writers that read the same version commit', async () => {
    const caseId = await openAndAccept(wujiang);
    const base = await wujiang.service.getCase(caseId);
    // Both mutate functions wait until both have read, so both try to commit on the same base.
    let arrived = 0;
    let release!: () => void;
    const bothRead = new Promise<void>((r) => (release = r));
    const writer = (world: CaseWorld, value: string) =>
      world.service.store.update(
        caseId,
        async (draft) => {
          if (++arrived === 2) release();
          await bothRead;
          draft.fields.winner = value;
          return { actor: { id: 'test', role: 'system', region: '' }, action: 'test.write', data: { value } };
        },
        { expectedVersion: base.version },
      );
    const results = await Promise.allSettled([writer(wujiang, 'wujiang'), writer(huoqiu, 'huoqiu')]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0]?.reason as AppError).code).toBe('CASE_VERSION_CONFLICT');
    expect((lost[0]?.reason as AppError).httpStatus).toBe(409);
    expect((lost[0]?.reason as AppError).details?.currentVersion).toBe(base.version + 1);
    const final = await wujiang.service.getCase(caseId);
    expect(final.version).toBe(base.version + 1);
    expect(final.fields.winner).toBe((won[0] as PromiseFulfilledResult<{ fields: Record<string, string> }>).value.fields.winner);
  });

  it('retries server-side updates without a client version until they land', async () => {
    const caseId = await openAndAccept(wujiang);
    const clerk = huoqiuClerk();
    const base = await wujiang.service.getCase(caseId);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 2 === 0
          ? wujiang.service.addChat(WUJIANG_COUNTER, caseId, { text: `柜台消息 ${i}` })
          : huoqiu.service.addChat(clerk, caseId, { text: `受理员消息 ${i}` }),
      ),
    );
    const final = await wujiang.service.getCase(caseId);
    expect(final.chat).toHaveLength(40);
    expect(new Set(final.chat.map((c) => c.text)).size).toBe(40);
    expect(final.version).toBe(base.version + 40);
  });
});
