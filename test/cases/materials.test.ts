import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CASE_LIMITS } from '@rvw/protocol/caseRecord';
import { toCaseView } from '@rvw/signaling/cases/toCaseView';
import {
  APPLICANT,
  WUJIANG_COUNTER,
  expectCode,
  fakeClock,
  huoqiuClerk,
  jpegBytes,
  listFiles,
  openAndAccept,
  pngBytes,
  useCaseWorld,
} from './fixtures';

const time = fakeClock();
const clerk = huoqiuClerk();
const env = useCaseWorld({ clock: time.clock });

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('materials, 容缺, signature, completion, rating', () => {
  it('stores a captured material content-addressed and ticks the checklist', async () => {
    const caseId = await openAndAccept(env.world, clerk);
    const bytes = jpegBytes('居民身份证正反面', 200_000);
    const record = await env.world.service.captureMaterial(WUJIANG_COUNTER, caseId, { kind: 'document_camera', bytes, materialId: 'id_card', mime: 'image/jpeg' });

    const material = record.materials.at(-1);
    expect(material).toMatchObject({ sha256: sha256(bytes), kind: 'document_camera', mime: 'image/jpeg', size: bytes.length, name: '居民身份证', materialId: 'id_card', capturedBy: 'wujiang-kyth-01' });
    const file = path.join(env.world.dataDir, 'blobs', sha256(bytes).slice(0, 2), sha256(bytes));
    const onDisk = await readFile(file);
    expect(sha256(onDisk)).toBe(material?.sha256);
    expect(onDisk.equals(bytes)).toBe(true);
    expect(record.checklist.find((c) => c.materialId === 'id_card')).toMatchObject({ status: 'provided', blobSha256: sha256(bytes) });
    expect(record.checklist.filter((c) => c.status === 'missing').map((c) => c.materialId)).toEqual([
      'household_register',
      'bank_card',
      'death_or_other_proof',
      'heir_relation',
    ]);

    // The same page captured again by the clerk: a second material entry, one file on disk.
    const filesBefore = await listFiles(path.join(env.world.dataDir, 'blobs'));
    const again = await env.world.service.captureMaterial(clerk, caseId, { kind: 'document_camera', bytes });
    expect(again.materials).toHaveLength(2);
    expect(again.materials[1]?.capturedBy).toBe('clerk-hq-1');
    expect(await listFiles(path.join(env.world.dataDir, 'blobs'))).toEqual(filesBefore);
    expect((await env.world.blobs.get(sha256(bytes))).equals(bytes)).toBe(true);
    expect(await listFiles(path.join(env.world.dataDir, 'blobs', 'tmp'))).toEqual([]);
  });

  it('accepts a mandatory material as missing (容缺) with a deadline, only for mandatory lines', async () => {
    const caseId = await openAndAccept(env.world, clerk);
    const waived = await env.world.service.waiveMaterial(clerk, caseId, { materialId: 'death_or_other_proof', note: '死亡证明由村委会出具后补交', deadline: '2025-07-31' });
    expect(waived.state).toBe('in_session');
    expect(waived.checklist.find((c) => c.materialId === 'death_or_other_proof')).toEqual({
      materialId: 'death_or_other_proof',
      name: '死亡证明或其他证明材料',
      mandatory: true,
      status: 'waived',
      waiver: { note: '死亡证明由村委会出具后补交', deadline: '2025-07-31', by: 'clerk-hq-1', at: time.clock().toISOString() },
    });
    await expectCode(env.world.service.waiveMaterial(clerk, caseId, { materialId: 'heir_relation', note: '后补', deadline: '2025-07-31' }), 'CASE_WAIVER_NOT_MANDATORY');
    await expectCode(env.world.service.waiveMaterial(clerk, caseId, { materialId: 'bank_card', note: '后补', deadline: '2025-07-13' }), 'CASE_WAIVER_DEADLINE_PAST');
    await expectCode(env.world.service.waiveMaterial(WUJIANG_COUNTER, caseId, { materialId: 'bank_card', note: '后补', deadline: '2025-07-31' }), 'FORBIDDEN');
    // Supplied later: the line becomes provided and keeps its waiver as history.
    const supplied = await env.world.service.captureMaterial(WUJIANG_COUNTER, caseId, { kind: 'document_camera', bytes: jpegBytes('death'), materialId: 'death_or_other_proof' });
    expect(supplied.checklist.find((c) => c.materialId === 'death_or_other_proof')).toMatchObject({ status: 'provided', waiver: { deadline: '2025-07-31' } });
    await expectCode(env.world.service.waiveMaterial(clerk, caseId, { materialId: 'death_or_other_proof', note: '后补', deadline: '2025-07-31' }), 'CASE_MATERIAL_ALREADY_PROVIDED');
  });

  it('completes only with every mandatory material provided or waived and a signature; rates once per target', async () => {
    const caseId = await openAndAccept(env.world, clerk);
    const s = env.world.service;
    await expectCode(s.rate(WUJIANG_COUNTER, caseId, { target: 'clerk', score: 5 }), 'CASE_WRONG_STATE');
    const incomplete = await expectCode(s.transition(clerk, caseId, { to: 'completed' }), 'CASE_CHECKLIST_INCOMPLETE');
    expect(incomplete.details?.missing).toEqual(['id_card', 'household_register', 'bank_card', 'death_or_other_proof']);
    for (const id of ['id_card', 'household_register', 'bank_card']) {
      await s.captureMaterial(WUJIANG_COUNTER, caseId, { kind: 'document_camera', bytes: jpegBytes(`${caseId}-${id}`), materialId: id });
    }
    await s.waiveMaterial(clerk, caseId, { materialId: 'death_or_other_proof', note: '后补', deadline: '2025-08-15' });
    await expectCode(s.transition(clerk, caseId, { to: 'completed' }), 'CASE_SIGNATURE_REQUIRED');
    await expectCode(s.confirmSignature(clerk, caseId, { png: pngBytes('x') }), 'FORBIDDEN');
    await expectCode(s.confirmSignature(WUJIANG_COUNTER, caseId, { png: jpegBytes('not png') }), 'MATERIAL_TYPE_UNSUPPORTED');
    const png = pngBytes('陈添荣的签名');
    const signed = await s.confirmSignature(WUJIANG_COUNTER, caseId, { png });
    expect(signed.applicantSignatureSha256).toBe(sha256(png));
    expect(signed.materials.at(-1)).toMatchObject({ kind: 'signature', mime: 'image/png', sha256: sha256(png), name: '申请人签名' });
    expect((await env.world.blobs.get(sha256(png))).equals(png)).toBe(true);

    const docSha = sha256(Buffer.from('signed pdf'));
    await expectCode(s.attachDocument(clerk, caseId, { number: 'HQ-2025-0001', type: 'payment_certificate', sha256: docSha, signer: '霍邱县社会保险事业管理局' }), 'DOCUMENT_TYPE_NOT_ISSUED');
    const withDoc = await s.attachDocument(clerk, caseId, { number: 'HQ-2025-0001', type: 'completion_notice', sha256: docSha, signer: '霍邱县社会保险事业管理局' });
    expect(withDoc.documents).toEqual([
      { number: 'HQ-2025-0001', type: 'completion_notice', sha256: docSha, issuedAt: time.clock().toISOString(), issuedBy: 'clerk-hq-1', signer: '霍邱县社会保险事业管理局' },
    ]);
    await expectCode(s.attachDocument(clerk, caseId, { number: 'HQ-2025-0001', type: 'receipt', sha256: docSha, signer: 'x' }), 'CASE_DOCUMENT_DUPLICATE');

    time.advance(12 * 60);
    const done = await s.transition(clerk, caseId, { to: 'completed' });
    expect(done).toMatchObject({ state: 'completed', closeReason: '办结', closedAt: time.clock().toISOString() });

    await expectCode(s.rate(clerk, caseId, { target: 'clerk', score: 5 }), 'FORBIDDEN');
    const rated = await s.rate(WUJIANG_COUNTER, caseId, { target: 'clerk', score: 5, comment: '很方便，不用跑回安徽' });
    expect(rated.ratings.clerk).toEqual({ score: 5, comment: '很方便，不用跑回安徽', at: time.clock().toISOString() });
    await expectCode(s.rate(WUJIANG_COUNTER, caseId, { target: 'clerk', score: 1 }), 'CASE_ALREADY_RATED');
    const both = await s.rate(WUJIANG_COUNTER, caseId, { target: 'counter', score: 4 });
    expect(both.ratings).toMatchObject({ clerk: { score: 5 }, counter: { score: 4 } });
    await expectCode(s.rate(WUJIANG_COUNTER, caseId, { target: 'counter', score: 4 }), 'CASE_ALREADY_RATED');
    await expectCode(s.rate(WUJIANG_COUNTER, caseId, { target: 'counter', score: 3, comment: '长'.repeat(501) }), 'VALIDATION_FAILED');
  });

  it('counts materials and chat lines per side: a counter filling its share leaves the clerk its own', async () => {
    const s = env.world.service;
    const caseId = await openAndAccept(env.world, clerk);
    for (let i = 0; i < CASE_LIMITS.materialsPerSide; i++) await s.captureMaterial(WUJIANG_COUNTER, caseId, { kind: 'upload', bytes: pngBytes(`counter ${i}`), mime: 'image/png' });
    const full = await expectCode(s.captureMaterial(WUJIANG_COUNTER, caseId, { kind: 'upload', bytes: pngBytes('one more'), mime: 'image/png' }), 'CASE_TOO_MANY_MATERIALS');
    expect(full.details).toEqual({ limit: CASE_LIMITS.materialsPerSide, side: 'counter' });
    expect(full.message).toBe(`本方在每个办件最多提交 ${CASE_LIMITS.materialsPerSide} 份材料`);
    // The clerk keeps a still of the 高拍仪 all the same.
    const still = await s.captureMaterial(clerk, caseId, { kind: 'document_camera', bytes: pngBytes('clerk still'), mime: 'image/png' });
    expect(still.materials.at(-1)).toMatchObject({ side: 'clerk', capturedBy: clerk.kind === 'staff' ? clerk.staffId : '' });
    expect(still.materials.filter((m) => m.side === 'counter')).toHaveLength(CASE_LIMITS.materialsPerSide);

    for (let i = 0; i < CASE_LIMITS.chatLinesPerSide; i++) await s.addChat(WUJIANG_COUNTER, caseId, { text: `第${i}条` });
    const silenced = await expectCode(s.addChat(WUJIANG_COUNTER, caseId, { text: '再一条' }), 'CASE_CHAT_FULL');
    expect(silenced.details).toEqual({ limit: CASE_LIMITS.chatLinesPerSide, side: 'counter' });
    const answered = await s.addChat(clerk, caseId, { text: '请稍候，我来核对。' });
    expect(answered.chat.at(-1)).toMatchObject({ role: 'clerk', text: '请稍候，我来核对。' });
    expect(answered.chat.filter((l) => l.role === 'counter')).toHaveLength(CASE_LIMITS.chatLinesPerSide);
  });

  it('counts free fields per owner: a counter filling the applicant’s keys leaves room for the clerk’s 办理意见', async () => {
    const s = env.world.service;
    const caseId = await openAndAccept(env.world, clerk);
    let record = await s.getCase(caseId);
    const limit = CASE_LIMITS.fieldsPerOwner;
    const fill = Object.fromEntries(Array.from({ length: limit - Object.keys(record.fields).length }, (_, i) => [`extra${i}`, `第${i}项`]));
    record = await s.updateFields(WUJIANG_COUNTER, caseId, { expectedVersion: record.version, set: fill });
    const over = await expectCode(s.updateFields(WUJIANG_COUNTER, caseId, { expectedVersion: record.version, set: { oneMore: 'x' } }), 'CASE_TOO_MANY_FIELDS');
    expect(over.details).toEqual({ limit, owner: 'applicant' });
    expect(over.message).toBe(`办件的申请方字段不能超过 ${limit} 个`);
    expect(Object.keys((await s.getCase(caseId)).fields)).toHaveLength(limit);
    // The authority's words still fit.
    const noted = await s.updateFields(clerk, caseId, { expectedVersion: record.version, set: { note: '材料齐全，予以受理。' } });
    expect(noted.fields.note).toBe('材料齐全，予以受理。');
  });

  it('shows the whole ID number only to the accepting clerk while handling', async () => {
    const caseId = await openAndAccept(env.world, clerk);
    const record = await env.world.service.getCase(caseId);
    expect(record.applicant.idNumber).toBe(APPLICANT.idNumber); // stored whole
    expect(toCaseView(record, clerk).applicant).toEqual({ ...APPLICANT, masked: false });
    const masked = { name: APPLICANT.name, idNumber: `3415**********${APPLICANT.idNumber.slice(-4)}`, phone: '139****5678', masked: true };
    expect(toCaseView(record, WUJIANG_COUNTER).applicant).toEqual(masked);
    expect(toCaseView(record, huoqiuClerk('other-clerk')).applicant).toEqual(masked);
    expect(toCaseView(record, { kind: 'staff', role: 'admin', staffId: 'a', name: 'a', regionCodes: ['341522'] }).applicant).toEqual(masked);
    expect(toCaseView({ ...record, state: 'completed' }, clerk).applicant).toEqual(masked);
    expect(toCaseView(record, 'masked').applicant).toEqual(masked);
    expect(toCaseView(record, 'full').applicant).toEqual({ ...APPLICANT, masked: false });
  });
});
