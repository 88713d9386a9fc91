import { describe, expect, it } from 'vitest';
import { authKeys } from '@rvw/signaling/auth/authKeys';
import { listClerkCases } from '@rvw/signaling/cases/listClerkCases';
import { APPLICANT, expectCode, fakeClock, huoqiuClerk, ITEMS, useCaseWorld, WUJIANG_COUNTER } from './fixtures';

/*
 * 转办: the clerk holding a case hands it to a colleague who may serve it. Staff records are
 * written as the auth module stores them (enrolment itself is tested in test/auth).
 */

const time = fakeClock('2025-07-14T01:00:00.000Z');
const env = useCaseWorld({ clock: time.clock });
const li = huoqiuClerk('clerk-tr-li');
const wang = huoqiuClerk('clerk-tr-wang');

async function putClerk(id: string, name: string, regionCode: string, itemCodes: string[], disabled = false): Promise<void> {
  await env.world.redis.hSet(authKeys.staff(id), { id, name, role: 'clerk', regionCode, itemCodes: JSON.stringify(itemCodes), disabled: disabled ? '1' : '0', createdAt: '1', invitedBy: 'test' });
  await env.world.redis.sAdd(authKeys.staffIds(), id);
}

describe('转办 (case.transfer)', () => {
  it('moves the case to a colleague who serves the item, with the note in the audit chain; refuses anyone else', async () => {
    const s = env.world.service;
    await putClerk('clerk-tr-li', '李娜', '341522', li.itemCodes);
    await putClerk('clerk-tr-wang', '王强', '341522', wang.itemCodes);
    await putClerk('clerk-tr-zhao', '赵敏', '341522', [ITEMS.housingFund]);
    await putClerk('clerk-tr-old', '钱进', '341522', li.itemCodes, true);
    await putClerk('clerk-tr-wj', '吴江受理员', '320509', li.itemCodes);
    const opened = await s.openCase(WUJIANG_COUNTER, { partnershipId: env.world.demo.partnershipId, itemCode: ITEMS.pension, applicant: APPLICANT });
    await expectCode(s.transfer(li, opened.id, { toStaffId: 'clerk-tr-wang', note: '请接手办理' }), 'FORBIDDEN');
    time.advance(120);
    await s.acceptCase(li, opened.id);

    // Whom it may go to: the serving region's enabled clerks assigned the item, not the holder.
    expect((await s.colleagues(li, opened.id)).map((c) => c.staffId)).toEqual(['clerk-tr-wang']);
    await expectCode(s.colleagues(wang, opened.id), 'FORBIDDEN');
    for (const to of ['clerk-tr-zhao', 'clerk-tr-old', 'clerk-tr-wj', 'clerk-tr-li', 'no-such-clerk']) {
      await expectCode(s.transfer(li, opened.id, { toStaffId: to, note: '请接手办理' }), 'TRANSFER_TARGET_INVALID');
    }
    await expectCode(s.transfer(wang, opened.id, { toStaffId: 'clerk-tr-wang', note: '抢单' }), 'FORBIDDEN');
    await expectCode(s.transfer(WUJIANG_COUNTER, opened.id, { toStaffId: 'clerk-tr-wang', note: '换人' }), 'FORBIDDEN');
    const versionBefore = (await s.getCase(opened.id)).version;
    expect(versionBefore).toBe(2);

    time.advance(300);
    const moved = await s.transfer(li, opened.id, { toStaffId: 'clerk-tr-wang', note: '材料已核对，待出具证明' });
    expect(moved).toMatchObject({ clerkId: 'clerk-tr-wang', state: 'in_session', version: 3 });
    expect(moved.lastTransfer).toEqual({ from: 'clerk-tr-li', fromName: li.name, to: 'clerk-tr-wang', note: '材料已核对，待出具证明', at: time.clock().toISOString() });
    const { events } = await s.history(opened.id);
    expect(events.at(-1)).toMatchObject({ action: 'case.transferred', actor: { id: 'clerk-tr-li' }, data: { from: 'clerk-tr-li', to: 'clerk-tr-wang', toName: '王强', note: '材料已核对，待出具证明' } });
    // The new holder acts; the former one no longer can.
    await expectCode(s.addChat(li, opened.id, { text: '还在吗' }), 'FORBIDDEN');
    await s.addChat(wang, opened.id, { text: '您好，由我继续为您办理。' });
    expect(await env.world.redis.hGet('presence:busy', 'clerk-tr-wang')).toBe(opened.id);
    expect(await env.world.redis.hGet('presence:busy', 'clerk-tr-li')).toBeNull();
    // The figures and 我的办件 follow the holder (the case counts as the new holder's 受理).
    const deps = { redis: env.world.redis, getCases: (ids: readonly string[]) => s.store.getMany(ids) };
    expect((await listClerkCases(deps, wang, { limit: 5 })).cases.map((c) => c.id)).toEqual([opened.id]);
    expect((await listClerkCases(deps, li, { limit: 5 })).cases).toEqual([]);
    expect(await env.world.redis.hGet(`stats:day:${env.world.demo.partnershipId}:2025-07-14:clerk`, 'accepted|clerk-tr-wang')).toBe('1');

    // A closed case is not transferred.
    await s.transition(wang, opened.id, { to: 'rejected', reason: '不符合条件' });
    await expectCode(s.transfer(wang, opened.id, { toStaffId: 'clerk-tr-li', note: '转回' }), 'CASE_WRONG_STATE');
  });
});
