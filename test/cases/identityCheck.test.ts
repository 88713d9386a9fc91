import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CaseStore } from '@rvw/signaling/cases/CaseStore';
import { MAX_IDENTITY_CHANGES_PER_SIDE } from '@rvw/signaling/cases/identityCheck';
import { APPLICANT, expectCode, HUOQIU_COUNTER, huoqiuClerk, ITEMS, useCaseWorld, WUJIANG_COUNTER } from './fixtures';

/*
 * 人证核验 (#18) in the case: the counter hands in the applicant's ID card as its reader read it,
 * the clerk holding the case sees the chip photo and records the result. Who may do what, what the
 * record and the audit chain keep (the result and who decided — never the photo or the number), and
 * that the photo is gone the moment the case closes, on every way a case closes.
 */

const env = useCaseWorld();
const li = huoqiuClerk('clerk-id-li');
const wang = huoqiuClerk('clerk-id-wang');

/** A real JPEG (ffmpeg's test pattern at the chip photo's 102×126). */
const PHOTO = new Uint8Array(execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=102x126:rate=1', '-frames:v', '1', '-f', 'mjpeg', '-']));
const card = (over: Partial<{ name: string; idNumber: string; photo: Uint8Array; sample: boolean }> = {}) => ({ name: APPLICANT.name, idNumber: APPLICANT.idNumber, photo: PHOTO, sample: true, ...over });

describe('人证核验: the card read at the counter, the clerk’s finding, the photo gone at the close', () => {
  it('keeps the photo beside the record for the holding clerk; records only the reading and the result; deletes the photo at 办结', async () => {
    const s = env.world.service;
    const opened = await s.openCase(WUJIANG_COUNTER, { partnershipId: env.world.demo.partnershipId, itemCode: ITEMS.pension, applicant: APPLICANT });
    const chipKey = CaseStore.keysOf(opened.id).chipPhoto;

    // Another person's card, or a picture that is no JPEG: refused, nothing kept.
    await expectCode(s.recordIdCard(WUJIANG_COUNTER, opened.id, card({ name: '王某某' })), 'IDENTITY_CARD_NOT_APPLICANT');
    await expectCode(s.recordIdCard(WUJIANG_COUNTER, opened.id, card({ idNumber: '110101199003074573' })), 'IDENTITY_CARD_NOT_APPLICANT');
    await expectCode(s.recordIdCard(WUJIANG_COUNTER, opened.id, card({ photo: new TextEncoder().encode('<svg onload=alert(1)>') })), 'IDENTITY_PHOTO_INVALID');
    await expectCode(s.recordIdCard(WUJIANG_COUNTER, opened.id, card({ photo: new Uint8Array(49 * 1024).fill(0xff) })), 'IDENTITY_PHOTO_INVALID');
    // Only the case's own counter hands in its applicant's card.
    await expectCode(s.recordIdCard(HUOQIU_COUNTER, opened.id, card()), 'FORBIDDEN');
    await expectCode(s.recordIdCard(li, opened.id, card()), 'FORBIDDEN');
    expect(await env.world.redis.exists(chipKey)).toBe(0);
    expect((await s.getCase(opened.id)).identity).toBeUndefined();

    // Read while queued (the counter reads the card before the clerk picks up).
    const read = await s.recordIdCard(WUJIANG_COUNTER, opened.id, card({ idNumber: APPLICANT.idNumber.toLowerCase() }));
    expect(read.identity).toEqual({ card: { readAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), counterId: 'wujiang-kyth-01', sample: true }, changes: 1, changesBySide: { counter: 1, clerk: 0 } });
    const readAt = read.identity!.card.readAt;
    expect(await env.world.redis.exists(chipKey)).toBe(1);
    expect(await env.world.redis.ttl(chipKey)).toBeGreaterThan(23 * 3600);
    // Nobody is holding it yet: no clerk sees the photo; the finding waits for the call.
    await expectCode(s.chipPhoto(li, opened.id), 'FORBIDDEN');
    await s.acceptCase(li, opened.id);
    const photo = await s.chipPhoto(li, opened.id);
    expect(Buffer.from(photo.photoBase64, 'base64').equals(Buffer.from(PHOTO))).toBe(true);
    expect(photo).toMatchObject({ sample: true, readAt });
    // The photo is a biometric: not the item's other clerk, not the counter.
    await expectCode(s.chipPhoto(wang, opened.id), 'FORBIDDEN');
    await expectCode(s.chipPhoto(WUJIANG_COUNTER, opened.id), 'FORBIDDEN');
    // The finding is the holding clerk's alone.
    await expectCode(s.recordIdentityVerdict(WUJIANG_COUNTER, opened.id, 'match'), 'FORBIDDEN');
    await expectCode(s.recordIdentityVerdict(wang, opened.id, 'match'), 'FORBIDDEN');
    const mismatch = await s.recordIdentityVerdict(li, opened.id, 'mismatch');
    expect(mismatch.identity?.verdict).toEqual({ result: 'mismatch', at: expect.any(String), by: 'clerk-id-li', byName: expect.any(String) });
    const verified = await s.recordIdentityVerdict(li, opened.id, 'match');
    expect(verified.identity?.verdict?.result).toBe('match');

    // The chain: the reading (sample or not) and each result with who decided — no photo, no number, no name.
    const { events } = await s.history(opened.id);
    const identityEvents = events.filter((e) => e.action.startsWith('identity.'));
    expect(identityEvents.map((e) => ({ action: e.action, actor: e.actor.id, data: e.data }))).toEqual([
      { action: 'identity.card_read', actor: 'wujiang-kyth-01', data: { sample: true } },
      { action: 'identity.verified', actor: 'clerk-id-li', data: { result: 'mismatch' } },
      { action: 'identity.verified', actor: 'clerk-id-li', data: { result: 'match' } },
    ]);
    const chain = JSON.stringify(events);
    expect(chain).not.toContain(photo.photoBase64.slice(0, 40));
    expect(chain).not.toContain(APPLICANT.idNumber);
    expect((await s.audit(opened.id)).verdict.ok).toBe(true);

    // 办结 (here 不予受理: any close) deletes the photo in the same commit; the result stays.
    await s.transition(li, opened.id, { to: 'rejected', reason: '人证核验后申请人撤回申请' });
    expect(await env.world.redis.exists(chipKey)).toBe(0);
    await expectCode(s.chipPhoto(li, opened.id), 'IDENTITY_CARD_NOT_READ');
    expect((await s.getCase(opened.id)).identity?.verdict?.result).toBe('match');
    // Closed: no new reading (its photo would outlive the case).
    await expectCode(s.recordIdCard(WUJIANG_COUNTER, opened.id, card()), 'CASE_WRONG_STATE');
    expect(await env.world.redis.exists(chipKey)).toBe(0);
  });

  it('an applicant who leaves the queue takes the photo with them; no finding without a reading', async () => {
    const s = env.world.service;
    const a = await s.openCase(WUJIANG_COUNTER, { partnershipId: env.world.demo.partnershipId, itemCode: ITEMS.pension, applicant: { ...APPLICANT, name: '陈添福' } });
    await s.recordIdCard(WUJIANG_COUNTER, a.id, card({ name: '陈添福' }));
    expect(await env.world.redis.exists(CaseStore.keysOf(a.id).chipPhoto)).toBe(1);
    await s.leaveQueue(WUJIANG_COUNTER, a.id);
    expect(await env.world.redis.exists(CaseStore.keysOf(a.id).chipPhoto)).toBe(0);

    const b = await s.openCase(WUJIANG_COUNTER, { partnershipId: env.world.demo.partnershipId, itemCode: ITEMS.pension, applicant: { ...APPLICANT, name: '陈添寿' } });
    await s.acceptCase(li, b.id);
    await expectCode(s.recordIdentityVerdict(li, b.id, 'match'), 'IDENTITY_CARD_NOT_READ');
    await expectCode(s.chipPhoto(li, b.id), 'IDENTITY_CARD_NOT_READ');
    // A reading after the finding asks for a new finding.
    await s.recordIdCard(WUJIANG_COUNTER, b.id, card({ name: '陈添寿' }));
    await s.recordIdentityVerdict(li, b.id, 'match');
    const again = await s.recordIdCard(WUJIANG_COUNTER, b.id, card({ name: '陈添寿', sample: false }));
    expect(again.identity).toEqual({ card: { readAt: expect.any(String), counterId: 'wujiang-kyth-01', sample: false }, changes: 3, changesBySide: { counter: 2, clerk: 1 } });
  });

  it('a counter or clerk repeating readings and findings is stopped at its own cap; the other side keeps its own; the chain stays bounded', async () => {
    const s = env.world.service;
    const opened = await s.openCase(WUJIANG_COUNTER, { partnershipId: env.world.demo.partnershipId, itemCode: ITEMS.pension, applicant: { ...APPLICANT, name: '陈添禄' } });
    await s.acceptCase(li, opened.id);
    // The counter reads the card up to its cap; the next reading is refused.
    for (let i = 0; i < MAX_IDENTITY_CHANGES_PER_SIDE; i++) await s.recordIdCard(WUJIANG_COUNTER, opened.id, card({ name: '陈添禄' }));
    const refused = await expectCode(s.recordIdCard(WUJIANG_COUNTER, opened.id, card({ name: '陈添禄' })), 'BUDGET_EXCEEDED');
    expect(refused.details).toMatchObject({ budget: 'identityChangesPerSide', limit: MAX_IDENTITY_CHANGES_PER_SIDE });
    expect(refused.message).toContain('读卡次数');
    // The clerk's findings are its own: the counter's readings did not use them up.
    for (let i = 0; i < MAX_IDENTITY_CHANGES_PER_SIDE; i++) await s.recordIdentityVerdict(li, opened.id, i % 2 ? 'match' : 'mismatch');
    const clerkRefused = await expectCode(s.recordIdentityVerdict(li, opened.id, 'match'), 'BUDGET_EXCEEDED');
    expect(clerkRefused.message).toContain('核验次数');
    const { record, events } = await s.history(opened.id);
    expect(record.identity?.changes).toBe(2 * MAX_IDENTITY_CHANGES_PER_SIDE);
    expect(record.identity?.changesBySide).toEqual({ counter: MAX_IDENTITY_CHANGES_PER_SIDE, clerk: MAX_IDENTITY_CHANGES_PER_SIDE });
    // The last finding stored is the clerk's last before its cap (i = 19: match).
    expect(record.identity?.verdict?.result).toBe('match');
    expect(events.filter((e) => e.action.startsWith('identity.'))).toHaveLength(2 * MAX_IDENTITY_CHANGES_PER_SIDE);
  });
});
