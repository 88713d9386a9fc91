import { describe, expect, it } from 'vitest';
import { MAX_CALL_MODE_CHANGES } from '@rvw/signaling/cases/recordCallMode';
import { APPLICANT, expectCode, fakeClock, HUOQIU_COUNTER, huoqiuClerk, ITEMS, useCaseWorld, WUJIANG_COUNTER } from './fixtures';

/*
 * #17's ladder in the case record: each side proposes the mode its own path can carry, the call
 * runs at the worse of the two, each changed proposal is an audit event with the measured reason.
 */

const time = fakeClock('2025-07-14T01:00:00.000Z');
const env = useCaseWorld({ clock: time.clock });
const li = huoqiuClerk('clerk-cm-li');
const wang = huoqiuClerk('clerk-cm-wang');

describe('call.mode: the call runs at the worse side’s proposal, and the case remembers each step', () => {
  it('stores each side’s proposal as its own, the mode as the worse, and writes only what changed', async () => {
    const s = env.world.service;
    const opened = await s.openCase(WUJIANG_COUNTER, { partnershipId: env.world.demo.partnershipId, itemCode: ITEMS.pension, applicant: APPLICANT });
    // Queued: no call to degrade.
    await expectCode(s.reportCallMode(WUJIANG_COUNTER, opened.id, { proposed: 'audio', measured: { lossPct: 40 } }), 'CASE_WRONG_STATE');
    await s.acceptCase(li, opened.id);
    const v0 = (await s.getCase(opened.id)).version;

    time.advance(10);
    const a = await s.reportCallMode(WUJIANG_COUNTER, opened.id, { proposed: 'document_first', measured: { availableKbps: 420, lossPct: 9.5, rttMs: 180 } });
    expect(a.media).toEqual({ mode: 'document_first', counter: 'document_first', clerk: 'full', since: time.clock().toISOString(), changes: { counter: 1, clerk: 0 } });
    const since = a.media!.since;
    time.advance(4);
    const b = await s.reportCallMode(li, opened.id, { proposed: 'audio', measured: { lossPct: 35 } });
    expect(b.media).toEqual({ mode: 'audio', counter: 'document_first', clerk: 'audio', since: time.clock().toISOString(), changes: { counter: 1, clerk: 1 } });
    // The counter steps up; the clerk's path still holds the call at audio (since unchanged).
    time.advance(8);
    const c = await s.reportCallMode(WUJIANG_COUNTER, opened.id, { proposed: 'full', measured: { lossPct: 0.4, rttMs: 40 } });
    expect(c.media).toMatchObject({ mode: 'audio', counter: 'full', clerk: 'audio', since: b.media!.since, changes: { counter: 2, clerk: 1 } });
    expect(since).not.toBe(b.media!.since);
    // The same proposal again writes nothing.
    const again = await s.reportCallMode(WUJIANG_COUNTER, opened.id, { proposed: 'full', measured: { lossPct: 0.1 } });
    expect(again.version).toBe(c.version);
    expect(c.version).toBe(v0 + 3);

    const { events } = await s.history(opened.id);
    expect(events.filter((e) => e.action === 'call.mode').map((e) => ({ actor: e.actor.id, ...e.data }))).toEqual([
      { actor: WUJIANG_COUNTER.kind === 'counter' ? WUJIANG_COUNTER.counterId : '', side: 'counter', proposed: 'document_first', from: 'full', mode: 'document_first', measured: { availableKbps: 420, lossPct: 9.5, rttMs: 180 } },
      { actor: 'clerk-cm-li', side: 'clerk', proposed: 'audio', from: 'document_first', mode: 'audio', measured: { lossPct: 35 } },
      { actor: WUJIANG_COUNTER.kind === 'counter' ? WUJIANG_COUNTER.counterId : '', side: 'counter', proposed: 'full', from: 'audio', mode: 'audio', measured: { lossPct: 0.4, rttMs: 40 } },
    ]);
    expect((await s.audit(opened.id)).verdict.ok).toBe(true);

    // Nobody else speaks for a side: another counter, another clerk of the item.
    await expectCode(s.reportCallMode(HUOQIU_COUNTER, opened.id, { proposed: 'audio', measured: {} }), 'FORBIDDEN');
    await expectCode(s.reportCallMode(wang, opened.id, { proposed: 'audio', measured: {} }), 'FORBIDDEN');

    // Closed: no more steps.
    await s.transition(li, opened.id, { to: 'rejected', reason: '不符合条件' });
    await expectCode(s.reportCallMode(li, opened.id, { proposed: 'full', measured: {} }), 'CASE_WRONG_STATE');
  });

  it('a side that flips modes without end is stopped at its cap, the chain stays bounded, and the other side keeps its own', async () => {
    const s = env.world.service;
    const opened = await s.openCase(WUJIANG_COUNTER, { partnershipId: env.world.demo.partnershipId, itemCode: ITEMS.pension, applicant: { ...APPLICANT, name: '陈添福' } });
    await s.acceptCase(li, opened.id);
    for (let i = 0; i < MAX_CALL_MODE_CHANGES; i++) await s.reportCallMode(WUJIANG_COUNTER, opened.id, { proposed: i % 2 === 0 ? 'audio' : 'full', measured: {} });
    await expectCode(s.reportCallMode(WUJIANG_COUNTER, opened.id, { proposed: 'audio', measured: {} }), 'BUDGET_EXCEEDED');
    const { record, events } = await s.history(opened.id);
    expect(record.media?.changes).toEqual({ counter: MAX_CALL_MODE_CHANGES, clerk: 0 });
    expect(events.filter((e) => e.action === 'call.mode')).toHaveLength(MAX_CALL_MODE_CHANGES);
    // The other side's proposals are its own budget: the clerk still speaks for its path.
    const clerkStep = await s.reportCallMode(li, opened.id, { proposed: 'audio_stills', measured: { lossPct: 18 } });
    expect(clerkStep.media?.changes).toEqual({ counter: MAX_CALL_MODE_CHANGES, clerk: 1 });
  });
});
