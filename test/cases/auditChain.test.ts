import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '@rvw/signaling/audit/AuditEvent';
import { hashAuditEvent } from '@rvw/signaling/audit/hashAuditEvent';
import { verifyAuditChain } from '@rvw/signaling/audit/verifyAuditChain';
import { CaseStore } from '@rvw/signaling/cases/CaseStore';
import { canonicalJson } from '@rvw/signaling/audit/canonicalJson';
import { startTestRedis, type TestRedis } from '../harness/redis';
import { APPLICANT, WUJIANG_COUNTER, huoqiuClerk, jpegBytes, openAndAccept, pngBytes, startCaseWorld, type CaseWorld } from './fixtures';

// A real case with many events; then every single event is tampered with in Redis, one at a time,
// in every way an insider with Redis access could: edit, delete, insert, reorder, truncate.

let redis: TestRedis;
let world: CaseWorld;
let caseId: string;
let streamKey: string;
let original: { id: string; message: Record<string, string> }[];

beforeAll(async () => {
  redis = await startTestRedis();
  world = await startCaseWorld(redis.url);
  const clerk = huoqiuClerk();
  caseId = await openAndAccept(world, clerk);
  const s = world.service;
  await s.addChat(clerk, caseId, { text: '您好，请把身份证放到高拍仪下。' });
  await s.addChat(WUJIANG_COUNTER, caseId, { text: `好的，号码是 ${APPLICANT.idNumber}，电话 ${APPLICANT.phone}` });
  for (let i = 0; i < 6; i++) {
    const v = (await s.getCase(caseId)).version;
    await s.updateFields(i % 2 ? clerk : WUJIANG_COUNTER, caseId, { expectedVersion: v, set: { [`note${i}`]: `第 ${i} 次修改` } });
  }
  await s.captureMaterial(WUJIANG_COUNTER, caseId, { kind: 'document_camera', bytes: jpegBytes('id'), materialId: 'id_card' });
  await s.captureMaterial(clerk, caseId, { kind: 'document_camera', bytes: jpegBytes('hukou'), materialId: 'household_register' });
  await s.captureMaterial(WUJIANG_COUNTER, caseId, { kind: 'document_camera', bytes: jpegBytes('bank'), materialId: 'bank_card' });
  await s.transition(clerk, caseId, { to: 'pending_materials', reason: '缺少死亡证明' });
  await s.waiveMaterial(clerk, caseId, { materialId: 'death_or_other_proof', note: '村委会证明后补', deadline: '2099-01-31' });
  await s.transition(clerk, caseId, { to: 'in_session' });
  await s.confirmSignature(WUJIANG_COUNTER, caseId, { png: pngBytes('陈添荣') });
  await s.transition(clerk, caseId, { to: 'completed' });
  await s.rate(WUJIANG_COUNTER, caseId, { target: 'clerk', score: 5, comment: '十几分钟就办好了' });
  await s.rate(WUJIANG_COUNTER, caseId, { target: 'counter', score: 5 });
  streamKey = CaseStore.keysOf(caseId).events;
  original = (await world.redis.xRange(streamKey, '-', '+')) as typeof original;
});

afterAll(async () => {
  await world?.close();
  await redis?.dispose();
});

/** Replaces the stream with these entries (fresh ids), as an insider rewriting history would. */
async function rewrite(entries: Record<string, string>[]): Promise<void> {
  await world.redis.del(streamKey);
  for (const message of entries) await world.redis.xAdd(streamKey, '*', message);
}

async function restore(): Promise<void> {
  await world.redis.del(streamKey);
  for (const e of original) await world.redis.xAdd(streamKey, e.id, e.message);
  expect((await world.service.audit(caseId)).verdict.ok).toBe(true);
}

function messages(): Record<string, string>[] {
  return original.map((e) => ({ ...e.message }));
}

describe('audit chain', () => {
  it('verifies a real case with many events, and carries no raw ID or phone numbers', async () => {
    const { events, verdict } = await world.service.audit(caseId);
    const record = await world.service.getCase(caseId);
    expect(events.length).toBeGreaterThanOrEqual(20);
    expect(verdict).toEqual({ ok: true, count: record.version });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const raw = JSON.stringify(original);
    expect(raw).not.toContain(APPLICANT.idNumber);
    expect(raw).not.toContain(APPLICANT.phone);
    expect(raw).toContain('3415**********');
  });

  it('fails after editing any single event, at that event', async () => {
    for (let i = 0; i < original.length; i++) {
      const m = messages();
      const event = JSON.parse(m[i]?.event as string) as Omit<AuditEvent, 'hash'>;
      event.data = { ...event.data, tampered: true };
      (m[i] as Record<string, string>).event = canonicalJson(event);
      await rewrite(m);
      expect((await world.service.audit(caseId)).verdict, `edit of event ${i + 1}`).toEqual({ ok: false, at: i + 1, reason: 'HASH_MISMATCH' });
    }
    await restore();
  });

  it('fails after editing an event and re-hashing the rest of the chain (the record pins the head)', async () => {
    const m = messages();
    let prevHash = '';
    for (const [i, msg] of m.entries()) {
      const event = JSON.parse(msg.event as string) as Omit<AuditEvent, 'hash'>;
      if (i === 3) event.actor = { ...event.actor, id: 'someone-else' };
      if (i > 0) event.prevHash = prevHash;
      prevHash = hashAuditEvent(event);
      msg.event = canonicalJson(event);
      msg.hash = prevHash;
    }
    await rewrite(m);
    const { record, events } = await world.service.store.history(caseId);
    expect(verifyAuditChain(events)).toEqual({ ok: true, count: events.length }); // consistent on its own…
    expect((await world.service.audit(caseId)).verdict).toEqual({ ok: false, at: record.version, reason: 'HEAD_MISMATCH' }); // …but not with the record
    await restore();
  });

  it('fails after deleting any single event (XDEL)', async () => {
    for (let i = 0; i < original.length; i++) {
      await world.redis.xDel(streamKey, (original[i] as { id: string }).id);
      const verdict = (await world.service.audit(caseId)).verdict;
      expect(verdict.ok, `delete of event ${i + 1}`).toBe(false);
      expect(verdict).toMatchObject({ at: i + 1 });
      await restore();
    }
  });

  it('fails after inserting or reordering events', async () => {
    for (let i = 0; i < original.length - 1; i++) {
      const m = messages();
      // A copy of event i inserted after itself.
      await rewrite([...m.slice(0, i + 1), { ...(m[i] as Record<string, string>) }, ...m.slice(i + 1)]);
      expect((await world.service.audit(caseId)).verdict, `insert after ${i + 1}`).toMatchObject({ ok: false, at: i + 2 });
      // Events i and i+1 swapped.
      const swapped = [...m];
      [swapped[i], swapped[i + 1]] = [swapped[i + 1] as Record<string, string>, swapped[i] as Record<string, string>];
      await rewrite(swapped);
      expect((await world.service.audit(caseId)).verdict, `swap ${i + 1}`).toMatchObject({ ok: false, at: i + 1 });
    }
    await restore();
  });

  it('fails after truncation at any length', async () => {
    for (let keep = 0; keep < original.length; keep++) {
      await rewrite(messages().slice(0, keep));
      expect((await world.service.audit(caseId)).verdict, `kept ${keep}`).toEqual({ ok: false, at: keep + 1, reason: 'TRUNCATED' });
    }
    await restore();
  });
});
