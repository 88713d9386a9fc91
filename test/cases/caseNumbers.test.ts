import { afterAll, describe, expect, it } from 'vitest';
import { APPLICANT, HUOQIU_COUNTER, ITEMS, WUJIANG_COUNTER, expectCode, fakeClock, idNumber, startCaseWorld, useCaseWorld, type CaseWorld } from './fixtures';

const time = fakeClock('2026-12-04T02:00:00.000Z'); // 10:00 in China
const env = useCaseWorld({ clock: time.clock });

// Human case numbers <serving region>-<YYYYMMDD>-<seq>: one Redis counter per region and China
// day, so two nodes opening cases at once never share or skip a number.
describe('case numbers', () => {
  let second: CaseWorld | undefined;
  afterAll(async () => {
    await second?.close();
  });

  it('are unique and consecutive per serving region and day across two nodes opening at once', async () => {
    second = await startCaseWorld(env.redis.url, { clock: time.clock });
    const p = env.world.demo.partnershipId;
    const nodes = [env.world.service, second.service];
    const opened = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        nodes[i % 2]!.openCase(WUJIANG_COUNTER, {
          partnershipId: p,
          itemCode: i % 3 ? ITEMS.pension : ITEMS.certificate,
          applicant: { ...APPLICANT, idNumber: idNumber(`341522195803${String(10 + (i % 18)).padStart(2, '0')}451`) },
        }),
      ),
    );
    const numbers = opened.map((c) => c.number!);
    for (const n of numbers) expect(n).toMatch(/^341522-20261204-\d{4}$/);
    expect(new Set(numbers).size).toBe(12);
    expect(numbers.map((n) => Number(n.slice(-4))).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    // The number is stored with the record and its opening audit event.
    const stored = await env.world.service.getCase(opened[0]!.id);
    expect(stored.number).toBe(numbers[0]);
  });

  it('start again each China calendar day and per serving region; a refused opening takes none', async () => {
    const p = env.world.demo.partnershipId;
    // 吴江 serves 霍邱 applicants: its own sequence.
    const other = await env.world.service.openCase(HUOQIU_COUNTER, { partnershipId: p, itemCode: ITEMS.housingFund, applicant: APPLICANT });
    expect(other.number).toBe('320509-20261204-0001');
    // Not offered to 吴江 applicants: refused before a number is taken.
    await expectCode(env.world.service.openCase(WUJIANG_COUNTER, { partnershipId: p, itemCode: ITEMS.housingFund, applicant: APPLICANT }), 'ITEM_NOT_OFFERED');
    const next = await env.world.service.openCase(WUJIANG_COUNTER, { partnershipId: p, itemCode: ITEMS.pension, applicant: APPLICANT });
    expect(next.number).toBe('341522-20261204-0013');
    // 00:00 in China is 16:00 UTC the day before.
    time.set('2026-12-04T16:00:00.000Z');
    const tomorrow = await env.world.service.openCase(WUJIANG_COUNTER, { partnershipId: p, itemCode: ITEMS.pension, applicant: APPLICANT });
    expect(tomorrow.number).toBe('341522-20261205-0001');
  });
});
