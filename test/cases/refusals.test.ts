import { describe, expect, it } from 'vitest';
import type { Principal } from '@rvw/signaling/auth/Principal';
import {
  APPLICANT,
  HUOQIU_COUNTER,
  ITEMS,
  WUJIANG_COUNTER,
  expectCode,
  fakeClock,
  huoqiuClerk,
  jpegBytes,
  listFiles,
  openAndAccept,
  pngBytes,
  snapshotRedis,
  startCaseWorld,
  useCaseWorld,
  type CaseWorld,
} from './fixtures';

// Every refusal answers with its stable code and leaves Redis (and the blob directory) exactly as
// it was: no record change, no audit event, no queue entry.

const time = fakeClock();
const env = useCaseWorld({ clock: time.clock });

/** Runs `attempt`, expects `code`, and checks nothing in Redis or on disk changed. */
async function refusedWithoutTrace(attempt: () => Promise<unknown>, code: string, w: CaseWorld = env.world) {
  const before = await snapshotRedis(w.redis);
  const filesBefore = await listFiles(w.dataDir);
  const error = await expectCode(attempt(), code);
  expect(await snapshotRedis(w.redis)).toEqual(before);
  expect(await listFiles(w.dataDir)).toEqual(filesBefore);
  return error;
}

describe('refusals', () => {
  it('refuses an item not offered in that direction', async () => {
    const p = env.world.demo.partnershipId;
    // 公积金缴存证明 is offered to 霍邱 applicants by 吴江, not the other way round.
    const e = await refusedWithoutTrace(
      () => env.world.service.openCase(WUJIANG_COUNTER, { partnershipId: p, itemCode: ITEMS.housingFund, applicant: APPLICANT }),
      'ITEM_NOT_OFFERED',
    );
    expect(e.details).toMatchObject({ itemCode: ITEMS.housingFund, applicantRegion: '320509' });
    // …and 霍邱 applicants cannot ask 吴江 for the pension withdrawal.
    await refusedWithoutTrace(
      () => env.world.service.openCase(HUOQIU_COUNTER, { partnershipId: p, itemCode: ITEMS.pension, applicant: APPLICANT }),
      'ITEM_NOT_OFFERED',
    );
    // The offered direction works.
    const ok = await env.world.service.openCase(HUOQIU_COUNTER, { partnershipId: p, itemCode: ITEMS.housingFund, applicant: APPLICANT });
    expect(ok.servingRegion).toBe('320509');
  });

  it('refuses an unknown partnership and a non-counter opener', async () => {
    await refusedWithoutTrace(
      () => env.world.service.openCase(WUJIANG_COUNTER, { partnershipId: 'no-such-pship', itemCode: ITEMS.pension, applicant: APPLICANT }),
      'CATALOG_PARTNERSHIP_NOT_FOUND',
    );
    await refusedWithoutTrace(
      () => env.world.service.openCase(huoqiuClerk(), { partnershipId: env.world.demo.partnershipId, itemCode: ITEMS.pension, applicant: APPLICANT }),
      'FORBIDDEN',
    );
    const impostor: Principal = { ...WUJIANG_COUNTER, regionCode: '341522' } as Principal;
    await refusedWithoutTrace(
      () => env.world.service.openCase(impostor, { partnershipId: env.world.demo.partnershipId, itemCode: ITEMS.pension, applicant: APPLICANT }),
      'FORBIDDEN',
    );
  });

  it('refuses outside service hours when enforced', async () => {
    const strict = await startCaseWorld(env.redis.url, { clock: time.clock, enforceServiceHours: true, dataDir: env.world.dataDir });
    try {
      const open = () => strict.service.openCase(WUJIANG_COUNTER, { partnershipId: strict.demo.partnershipId, itemCode: ITEMS.pension, applicant: APPLICANT });
      time.set('2025-07-14T04:45:00.000Z'); // Monday 12:45 Beijing time: lunch break
      await refusedWithoutTrace(open, 'OUTSIDE_SERVICE_HOURS', strict);
      time.set('2025-07-19T02:00:00.000Z'); // Saturday 10:00
      await refusedWithoutTrace(open, 'OUTSIDE_SERVICE_HOURS', strict);
      time.set('2025-07-14T09:30:00.000Z'); // Monday 17:30: the window's end is exclusive
      await refusedWithoutTrace(open, 'OUTSIDE_SERVICE_HOURS', strict);
      time.set('2025-07-14T05:30:00.000Z'); // Monday 13:30
      expect((await open()).state).toBe('queued');
    } finally {
      time.set('2025-07-14T02:00:00.000Z');
      await strict.close();
    }
  });

  it('refuses an inactive partnership', async () => {
    const p = await env.world.catalog.require('partnership', env.world.demo.partnershipId);
    await env.world.catalog.replace('partnership', { ...p, active: false });
    try {
      await refusedWithoutTrace(
        () => env.world.service.openCase(WUJIANG_COUNTER, { partnershipId: p.id, itemCode: ITEMS.pension, applicant: APPLICANT }),
        'PARTNERSHIP_INACTIVE',
      );
    } finally {
      await env.world.catalog.replace('partnership', p);
    }
  });

  it('access refusals come from the policy module with the words of each case, and leave no trace', async () => {
    const s = env.world.service;
    const p = env.world.demo.partnershipId;
    const clerk = huoqiuClerk();
    const said = (e: { code: string; httpStatus: number; message: string; details?: unknown }) => ({ code: e.code, httpStatus: e.httpStatus, message: e.message, details: e.details });
    // Opening: only a counter terminal, and only from the hall the catalogue registered it in.
    expect(said(await refusedWithoutTrace(() => s.openCase(clerk, { partnershipId: p, itemCode: ITEMS.pension, applicant: APPLICANT }), 'FORBIDDEN'))).toEqual({
      code: 'FORBIDDEN', httpStatus: 403, message: '只有跨域通办窗口终端可以发起办件', details: undefined,
    });
    const moved: Principal = { ...WUJIANG_COUNTER, hallId: 'huoqiu-zwfwzx' } as Principal;
    expect(said(await refusedWithoutTrace(() => s.openCase(moved, { partnershipId: p, itemCode: ITEMS.pension, applicant: APPLICANT }), 'FORBIDDEN'))).toEqual({
      code: 'FORBIDDEN', httpStatus: 403, message: '窗口终端登记信息与所属大厅不一致，请联系管理员', details: { counterId: 'wujiang-kyth-01' },
    });
    // Accepting: a clerk, of the serving region, assigned to the item.
    const queued = await s.openCase(WUJIANG_COUNTER, { partnershipId: p, itemCode: ITEMS.pension, applicant: APPLICANT });
    expect(said(await refusedWithoutTrace(() => s.acceptCase(WUJIANG_COUNTER, queued.id), 'FORBIDDEN'))).toEqual({
      code: 'FORBIDDEN', httpStatus: 403, message: '只有受理人员可以接入办件', details: undefined,
    });
    expect(said(await refusedWithoutTrace(() => s.acceptCase({ ...clerk, itemCodes: [ITEMS.certificate] }, queued.id), 'FORBIDDEN'))).toEqual({
      code: 'FORBIDDEN', httpStatus: 403, message: '此办件不属于您负责的地区或事项', details: { caseId: queued.id },
    });
    // The parties' actions: not a party at all, or the other side's action.
    const caseId = await openAndAccept(env.world, clerk);
    expect(said(await refusedWithoutTrace(() => s.addChat(HUOQIU_COUNTER, caseId, { text: '你好' }), 'FORBIDDEN'))).toEqual({
      code: 'FORBIDDEN', httpStatus: 403, message: '您不是此案件的办理方，无权进行此操作', details: { caseId },
    });
    expect(said(await refusedWithoutTrace(() => s.transition(WUJIANG_COUNTER, caseId, { to: 'suspended', reason: '网络中断' }), 'FORBIDDEN'))).toEqual({
      code: 'FORBIDDEN', httpStatus: 403, message: '此操作只能由受理人员进行', details: { caseId, side: 'counter' },
    });
    expect(said(await refusedWithoutTrace(() => s.confirmSignature(clerk, caseId, { png: pngBytes('sig') }), 'FORBIDDEN'))).toEqual({
      code: 'FORBIDDEN', httpStatus: 403, message: '此操作只能由申请窗口进行', details: { caseId, side: 'clerk' },
    });
    // The holder who has since lost the item is refused too (the use case no longer trusts identity alone).
    await refusedWithoutTrace(() => s.addChat({ ...clerk, itemCodes: [ITEMS.certificate] }, caseId, { text: '你好' }), 'FORBIDDEN');
    expect((await s.addChat(clerk, caseId, { text: '你好' })).chat.at(-1)).toMatchObject({ role: 'clerk', by: clerk.staffId, text: '你好' });
  });

  it('refuses illegal transitions with from/to', async () => {
    const clerk = huoqiuClerk();
    const caseId = await openAndAccept(env.world, clerk, ITEMS.certificate);
    // in_session → abandoned (only a queued case can be left)
    const e = await refusedWithoutTrace(() => env.world.service.leaveQueue(WUJIANG_COUNTER, caseId), 'CASE_ILLEGAL_TRANSITION');
    expect(e.details).toEqual({ from: 'in_session', to: 'abandoned' });
    expect(e.httpStatus).toBe(409);
    // in_session → in_session
    await refusedWithoutTrace(() => env.world.service.transition(clerk, caseId, { to: 'in_session' }), 'CASE_ILLEGAL_TRANSITION');
    // complete, then try to reopen or reject
    await env.world.service.captureMaterial(WUJIANG_COUNTER, caseId, { kind: 'document_camera', bytes: jpegBytes('id'), materialId: 'id_card' });
    await env.world.service.confirmSignature(WUJIANG_COUNTER, caseId, { png: pngBytes('sig') });
    await env.world.service.transition(clerk, caseId, { to: 'completed' });
    const again = await refusedWithoutTrace(() => env.world.service.transition(clerk, caseId, { to: 'rejected', reason: '重复' }), 'CASE_ILLEGAL_TRANSITION');
    expect(again.details).toEqual({ from: 'completed', to: 'rejected' });
    await refusedWithoutTrace(() => env.world.service.transition(clerk, caseId, { to: 'suspended', reason: '网络中断' }), 'CASE_ILLEGAL_TRANSITION');
    // an abandoned case cannot be accepted
    const left = await env.world.service.openCase(WUJIANG_COUNTER, { partnershipId: env.world.demo.partnershipId, itemCode: ITEMS.pension, applicant: APPLICANT });
    await env.world.service.leaveQueue(WUJIANG_COUNTER, left.id);
    await refusedWithoutTrace(() => env.world.service.acceptCase(clerk, left.id), 'CASE_ILLEGAL_TRANSITION');
  });

  it('refuses malformed input', async () => {
    const clerk = huoqiuClerk();
    const caseId = await openAndAccept(env.world, clerk);
    const p = env.world.demo.partnershipId;
    const bad = [
      () => env.world.service.openCase(WUJIANG_COUNTER, { partnershipId: p, itemCode: ITEMS.pension, applicant: { ...APPLICANT, idNumber: '341522195803124519' } }),
      () => env.world.service.openCase(WUJIANG_COUNTER, { partnershipId: p, itemCode: ITEMS.pension, applicant: { name: '', idNumber: APPLICANT.idNumber } }),
      () => env.world.service.openCase(WUJIANG_COUNTER, { partnershipId: p, itemCode: 'x', applicant: APPLICANT }),
      () => env.world.service.openCase(WUJIANG_COUNTER, JSON.parse('{"partnershipId":1}')),
      () => env.world.service.openCase(WUJIANG_COUNTER, { partnershipId: p, itemCode: ITEMS.pension, applicant: APPLICANT, extra: 1 } as never),
      () => env.world.service.updateFields(clerk, caseId, { expectedVersion: 2, set: { 'bad key': 'x' } }),
      () => env.world.service.updateFields(clerk, caseId, { expectedVersion: 2 }),
      () => env.world.service.updateFields(clerk, caseId, { expectedVersion: 2, set: { a: 'x'.repeat(2001) } }),
      () => env.world.service.transition(clerk, caseId, { to: 'rejected' }), // reason missing
      () => env.world.service.transition(clerk, caseId, { to: 'queued' } as never),
      () => env.world.service.addChat(clerk, caseId, { text: '   ' }),
      () => env.world.service.rate(WUJIANG_COUNTER, caseId, { target: 'clerk', score: 6 }),
      () => env.world.service.waiveMaterial(clerk, caseId, { materialId: 'bank_card', note: '后补', deadline: '2025-13-01' }),
      () => env.world.service.attachDocument(clerk, caseId, { number: 'N1', type: 'receipt', sha256: 'abc', signer: 'x' }),
      () => env.world.service.captureMaterial(WUJIANG_COUNTER, caseId, { kind: 'document_camera', bytes: 'not bytes' as never }),
      () => env.world.service.captureMaterial(WUJIANG_COUNTER, caseId, { kind: 'document_camera', bytes: new Uint8Array(0) }),
    ];
    for (const attempt of bad) await refusedWithoutTrace(attempt, 'VALIDATION_FAILED');
    // Well-formed but unacceptable content.
    await refusedWithoutTrace(
      () => env.world.service.captureMaterial(WUJIANG_COUNTER, caseId, { kind: 'upload', bytes: Buffer.from('<html>not a scan</html>') }),
      'MATERIAL_TYPE_UNSUPPORTED',
    );
    await refusedWithoutTrace(
      () => env.world.service.captureMaterial(WUJIANG_COUNTER, caseId, { kind: 'upload', bytes: jpegBytes('x'), mime: 'application/pdf' }),
      'MATERIAL_TYPE_MISMATCH',
    );
    await refusedWithoutTrace(
      () => env.world.service.captureMaterial(WUJIANG_COUNTER, caseId, { kind: 'upload', bytes: jpegBytes('x'), materialId: 'no_such_line' }),
      'CASE_MATERIAL_NOT_IN_CHECKLIST',
    );
    await refusedWithoutTrace(() => env.world.service.updateFields(clerk, caseId, { expectedVersion: 1, set: { a: 'stale' } }), 'CASE_VERSION_CONFLICT');
    await refusedWithoutTrace(() => env.world.service.addChat(huoqiuClerk('someone-else'), caseId, { text: '你好' }), 'FORBIDDEN');
    await refusedWithoutTrace(() => env.world.service.acceptCase(huoqiuClerk('late'), caseId), 'CASE_ALREADY_ACCEPTED');
    await refusedWithoutTrace(() => env.world.service.addChat(clerk, 'no-such-case', { text: '你好' }), 'CASE_NOT_FOUND');
  });
});
