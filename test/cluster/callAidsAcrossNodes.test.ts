import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegionalNode } from '@rvw/signaling/app/RegionalNode';
import { CaseStore } from '@rvw/signaling/cases/CaseStore';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';
import { WsClient } from '../harness/wsClient';

const ITEM = '000117005000';
const HUOQIU = '341522';
const APPLICANT = { name: '陈建国', idNumber: withCheckDigit('32058419580312123') };
/** A real JPEG (ffmpeg's test pattern at the chip photo's 102×126). */
const PHOTO = execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=102x126:rate=1', '-frames:v', '1', '-f', 'mjpeg', '-']);

// What the call adds beside the media (#17's ladder, #18's 人证核验, 标注 and 申请表), with the counter on
// node A and the clerk on node B: the chip photo, the finding, the marks and the mode live in the
// shared Redis or cross on the bus — nothing of it may depend on both sides sitting in one process.
describe('人证核验, 标注 and the call mode with the counter and the clerk on two nodes', () => {
  let t: TestNode;
  let b: RegionalNode;
  const open: WsClient[] = [];

  beforeAll(async () => {
    t = await startTestNode();
    b = await t.startSecondNode();
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await t?.dispose();
  });

  it('the card read on A is judged on B; the marks drawn on B and the mode proposed on A reach the other node; the photo is gone at the close', async () => {
    const clerk = await t.clerk(HUOQIU, [ITEM], '霍邱窗口 李娜');
    const colleague = await t.clerk(HUOQIU, [ITEM], '霍邱窗口 王强');
    const counter = await WsClient.connect(t.origin, (await t.counter('wujiang-kyth-01')).cookie);
    const clerkOnB = await WsClient.connect(b.url, clerk.cookie);
    const colleagueOnA = await WsClient.connect(t.origin, colleague.cookie);
    open.push(counter, clerkOnB, colleagueOnA);
    await clerkOnB.request('queue.subscribe', {});

    // ---- 人证核验: read at the counter on A ----
    const opened = await counter.request('queue.join', { partnershipId: 'wujiang-huoqiu', itemCode: ITEM, applicant: APPLICANT });
    const caseId = opened.id;
    await counter.request('identity.card', { caseId, card: { ...APPLICANT, photoBase64: PHOTO.toString('base64'), sample: true } });
    const chipKey = CaseStore.keysOf(caseId).chipPhoto;
    expect(await t.node.redis.exists(chipKey)).toBe(1);

    // ---- accepted on B: the holding clerk there sees the photo A's counter read ----
    await clerkOnB.request('queue.accept', { caseId });
    const photo = await clerkOnB.request('identity.photo', { caseId });
    expect(Buffer.from(photo.photoBase64, 'base64').equals(PHOTO)).toBe(true);
    expect(photo.sample).toBe(true);
    // A colleague of the same item, on the other node, is not the holding clerk: no photo.
    await expect(colleagueOnA.request('identity.photo', { caseId })).rejects.toMatchObject({ code: 'FORBIDDEN' });

    // The finding made on B is in the record the counter on A is told of.
    const changedOnA = counter.next((n) => n.type === 'case.changed' && n.caseId === caseId && n.version >= 4, 15_000);
    const judged = await clerkOnB.request('identity.verify', { caseId, result: 'match' });
    expect(judged.identity?.verdict).toMatchObject({ result: 'match', by: clerk.staffId, byName: '霍邱窗口 李娜' });
    await changedOnA;
    expect((await counter.request('case.get', { caseId })).identity?.verdict?.result).toBe('match');

    // ---- 标注: drawn on B, shown on A ----
    const marks = [{ points: [[0.1, 0.2], [0.4, 0.2], [0.4, 0.5]] as [number, number][] }];
    const marked = counter.next((n) => n.type === 'doc.marks' && n.caseId === caseId, 15_000);
    await clerkOnB.request('doc.marks', { caseId, marks });
    expect(await marked).toMatchObject({ type: 'doc.marks', caseId, marks });

    // ---- the call mode: proposed by the counter's ladder on A, followed by the clerk on B ----
    const before = (await clerkOnB.request('case.get', { caseId })).version;
    const modeOnB = clerkOnB.next((n) => n.type === 'case.changed' && n.caseId === caseId && n.version > before, 15_000);
    await counter.request('call.mode', { caseId, proposed: 'audio_stills', measured: { lossPct: 18 } });
    await modeOnB;
    expect((await clerkOnB.request('case.get', { caseId })).media).toMatchObject({ mode: 'audio_stills', counter: 'audio_stills', clerk: 'full' });

    // ---- 申请表: written on A, seen on B; one entry written on both nodes at once stores one ----
    const v0 = (await clerkOnB.request('case.get', { caseId })).version;
    const formOnB = clerkOnB.next((n) => n.type === 'case.changed' && n.caseId === caseId && n.version > v0, 15_000);
    await counter.request('form.set', { caseId, key: 'insured_name', value: '陈添荣', expectedRev: 0 });
    await formOnB;
    expect((await clerkOnB.request('case.get', { caseId })).form?.values.insured_name).toMatchObject({ value: '陈添荣', rev: 1, side: 'counter' });
    const settle = (p: Promise<unknown>) => p.then(() => 'stored', (e: { code?: string; details?: { current?: { value: string } } }) => `${e.code}:${e.details?.current?.value}`);
    const race = await Promise.all([
      settle(counter.request('form.set', { caseId, key: 'bank_name', value: '农业银行', expectedRev: 0 })),
      settle(clerkOnB.request('form.set', { caseId, key: 'bank_name', value: '建设银行', expectedRev: 0 })),
    ]);
    const stored = (await counter.request('case.get', { caseId })).form!.values.bank_name!;
    expect(stored.rev).toBe(1);
    // One stored; the other told what was stored instead, whichever node it came through.
    expect(race.sort()).toEqual([`FORM_FIELD_CONFLICT:${stored.value}`, 'stored'].sort());

    // ---- closed on B (不予受理): the photo A's counter read is gone from the shared store ----
    const view = await clerkOnB.request('case.get', { caseId });
    await clerkOnB.request('case.transition', { caseId, expectedVersion: view.version, to: 'rejected', reason: '测试结束' });
    expect(await t.node.redis.exists(chipKey)).toBe(0);
    await expect(clerkOnB.request('identity.photo', { caseId })).rejects.toMatchObject({ code: 'IDENTITY_CARD_NOT_READ' });
  });
});
