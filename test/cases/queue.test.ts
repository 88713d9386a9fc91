import { describe, expect, it } from 'vitest';
import { DEFAULT_HANDLING_SECONDS } from '@rvw/signaling/queue/QueueStore';
import {
  APPLICANT,
  HUOQIU_COUNTER,
  ITEMS,
  WUJIANG_COUNTER,
  expectCode,
  fakeClock,
  huoqiuClerk,
  jpegBytes,
  pngBytes,
  useCaseWorld,
} from './fixtures';

const time = fakeClock();
const env = useCaseWorld({ clock: time.clock });

describe('queue', () => {
  it('lists waiting cases oldest first with waiting time, positions and estimates, and publishes changes', async () => {
    const s = env.world.service;
    const p = env.world.demo.partnershipId;
    const open = (itemCode: string, name: string) => s.openCase(WUJIANG_COUNTER, { partnershipId: p, itemCode, applicant: { ...APPLICANT, name } });

    env.world.published.length = 0;
    const a = await open(ITEMS.pension, '陈添荣');
    expect(a.state).toBe('queued');
    expect(a.checklist.map((c) => c.materialId)).toEqual(['id_card', 'household_register', 'bank_card', 'death_or_other_proof', 'heir_relation']);
    expect(env.world.published).toEqual([
      { type: 'case.changed', caseId: a.id, version: 1, state: 'queued', counterId: 'wujiang-kyth-01', servingRegion: '341522', applicantRegion: '320509', itemCode: ITEMS.pension },
      { type: 'queue.changed', servingRegion: '341522', partnershipId: p, itemCode: ITEMS.pension },
    ]);
    time.advance(60);
    const b = await open(ITEMS.certificate, '王小梅');
    time.advance(60);
    const c = await open(ITEMS.pension, '李四');
    time.advance(30);
    // A case the other way round (霍邱 applicant, 吴江 serving) must not show in 霍邱's list.
    await s.openCase(HUOQIU_COUNTER, { partnershipId: p, itemCode: ITEMS.housingFund, applicant: APPLICANT });

    const all = await s.listQueue('341522');
    expect(all.map((e) => [e.caseId, e.waitingSeconds, e.applicantName])).toEqual([
      [a.id, 150, '陈**'],
      [b.id, 90, '王**'],
      [c.id, 30, '李*'],
    ]);
    expect(all[0]).toMatchObject({ itemName: '城乡居民基本养老保险个人账户一次性支付', applicantRegion: '320509', hallId: 'wujiang-xzfwzx', counterId: 'wujiang-kyth-01' });
    expect((await s.listQueue('341522', [ITEMS.pension])).map((e) => e.caseId)).toEqual([a.id, c.id]);
    expect((await s.listQueue('320509')).map((e) => e.itemCode)).toEqual([ITEMS.housingFund]);
    expect(JSON.stringify(all)).not.toContain(APPLICANT.idNumber);

    expect(await s.queuePosition(c.id)).toEqual({
      position: 2,
      queueLength: 2,
      waitingSeconds: 30,
      estimatedWaitSeconds: Math.round(1.5 * DEFAULT_HANDLING_SECONDS),
      // Nobody serves the item at the moment (no clerk page watches the queue).
      clerksOnline: 0,
      clerksIdle: 0,
      clerksPaused: 0,
    });

    // The first pension case is handled in 8 minutes: the estimate follows.
    const clerk = huoqiuClerk();
    await s.acceptCase(clerk, a.id);
    expect(await s.queuePosition(c.id)).toMatchObject({ position: 1, queueLength: 1 });
    await expectCode(s.queuePosition(a.id), 'CASE_NOT_QUEUED');
    await s.captureMaterial(WUJIANG_COUNTER, a.id, { kind: 'document_camera', bytes: jpegBytes('q-id'), materialId: 'id_card' });
    for (const m of ['household_register', 'bank_card', 'death_or_other_proof']) await s.waiveMaterial(clerk, a.id, { materialId: m, note: '后补', deadline: '2025-08-01' });
    await s.confirmSignature(WUJIANG_COUNTER, a.id, { png: pngBytes('q') });
    time.advance(8 * 60);
    env.world.published.length = 0;
    await s.transition(clerk, a.id, { to: 'completed' });
    // The queue hears it too: the clerk is free, the estimates of those waiting change.
    expect(env.world.published.map((e) => e.type)).toEqual(['case.changed', 'queue.changed']);
    expect(env.world.published[0]).toMatchObject({ caseId: a.id, state: 'completed', clerkId: 'clerk-hq-1' });
    expect((await s.queuePosition(c.id)).estimatedWaitSeconds).toBe(240);

    // The applicant of c gives up.
    env.world.published.length = 0;
    const left = await s.leaveQueue(WUJIANG_COUNTER, c.id);
    expect(left).toMatchObject({ state: 'abandoned', closeReason: '申请人离开队列' });
    expect(env.world.published.map((e) => e.type)).toEqual(['case.changed', 'queue.changed']);
    expect((await s.listQueue('341522')).map((e) => e.caseId)).toEqual([b.id]);
    await expectCode(s.leaveQueue(HUOQIU_COUNTER, b.id), 'FORBIDDEN');
  });

  it('lets only clerks of the serving region assigned to the item accept', async () => {
    const s = env.world.service;
    const opened = await s.openCase(WUJIANG_COUNTER, { partnershipId: env.world.demo.partnershipId, itemCode: ITEMS.transfer, applicant: APPLICANT });
    await expectCode(s.acceptCase({ ...huoqiuClerk(), itemCodes: [ITEMS.pension] }, opened.id), 'FORBIDDEN');
    await expectCode(s.acceptCase({ ...huoqiuClerk(), regionCode: '320509' }, opened.id), 'FORBIDDEN');
    await expectCode(s.acceptCase(WUJIANG_COUNTER, opened.id), 'FORBIDDEN');
    const accepted = await s.acceptCase(huoqiuClerk(), opened.id);
    expect(accepted).toMatchObject({ state: 'in_session', clerkId: 'clerk-hq-1', acceptedAt: time.clock().toISOString() });
  });
});
