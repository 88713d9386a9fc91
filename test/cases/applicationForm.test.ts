import { describe, expect, it } from 'vitest';
import { MAX_FORM_CHANGES_PER_SIDE } from '@rvw/signaling/cases/fillForm';
import { APPLICANT, expectCode, HUOQIU_COUNTER, huoqiuClerk, ITEMS, useCaseWorld, WUJIANG_COUNTER } from './fixtures';

/*
 * 同屏帮办 (#18): the item's application form (申请表) in the case, filled by both sides of the
 * call. Each entry is its own compare-and-set: a write over a newer one is refused with the entry
 * as it now is (never a silent overwrite), writes of different entries never collide. Who may
 * write, what each kind of entry accepts, what the record and the audit chain keep.
 */

const env = useCaseWorld();
const li = huoqiuClerk('clerk-form-li');
const wang = huoqiuClerk('clerk-form-wang');

describe('申请表: the form filled by both sides, entry by entry', () => {
  it('copies the item’s form into the case; both sides write entries; a stale write is refused with the newer entry; nothing is lost', async () => {
    const s = env.world.service;
    const opened = await s.openCase(WUJIANG_COUNTER, { partnershipId: env.world.demo.partnershipId, itemCode: ITEMS.pension, applicant: APPLICANT });
    // The form as the catalogue has it, nothing filled.
    expect(opened.form?.fields.map((f) => f.key)).toEqual(['applicant_name', 'applicant_id', 'applicant_phone', 'insured_name', 'relation', 'reason', 'event_date', 'bank_name', 'bank_account', 'address', 'remarks']);
    expect(opened.form?.values).toEqual({});

    // The counter fills while the applicant waits in the queue; the clerk after accepting.
    const a = await s.fillForm(WUJIANG_COUNTER, opened.id, { key: 'insured_name', value: '  陈添荣 ', expectedRev: 0 });
    expect(a.form?.values.insured_name).toEqual({ value: '陈添荣', rev: 1, side: 'counter', by: 'wujiang-kyth-01', byName: 'wujiang-kyth-01', at: expect.stringMatching(/^\d{4}-/) });
    await s.acceptCase(li, opened.id);
    const b = await s.fillForm(li, opened.id, { key: 'bank_name', value: '中国农业银行霍邱县支行', expectedRev: 0 });
    expect(b.form?.values.bank_name).toMatchObject({ value: '中国农业银行霍邱县支行', rev: 1, side: 'clerk', by: 'clerk-form-li' });
    expect(b.form?.values.bank_name?.byName).toBe(li.name);

    // Two writes of one entry from the same rev: the second is refused, and told what the first wrote.
    await s.fillForm(li, opened.id, { key: 'bank_account', value: '6228480000000000001', expectedRev: 0 });
    const refused = await expectCode(s.fillForm(WUJIANG_COUNTER, opened.id, { key: 'bank_account', value: '6228480000000000002', expectedRev: 0 }), 'FORM_FIELD_CONFLICT');
    expect(refused.httpStatus).toBe(409);
    expect(refused.details).toMatchObject({ key: 'bank_account', current: { value: '6228480000000000001', rev: 1, side: 'clerk', byName: li.name } });
    expect(refused.message).toContain('6228480000000000001');
    expect((await s.getCase(opened.id)).form?.values.bank_account?.value).toBe('6228480000000000001');
    // Having seen it, the counter may write over it (rev 1 → 2).
    const over = await s.fillForm(WUJIANG_COUNTER, opened.id, { key: 'bank_account', value: '6228480000000000002', expectedRev: 1 });
    expect(over.form?.values.bank_account).toMatchObject({ value: '6228480000000000002', rev: 2, side: 'counter' });
    // Writes of different entries never collide, whatever the case's version did meanwhile.
    const c = await s.fillForm(li, opened.id, { key: 'relation', value: '子女', expectedRev: 0 });
    expect(c.form?.values.insured_name?.rev).toBe(1);
    // Saving what is there writes nothing (a page's blur after its last keystroke was saved).
    const same = await s.fillForm(li, opened.id, { key: 'relation', value: '子女 ', expectedRev: 1 });
    expect(same.version).toBe(c.version);
    // Clearing is a write too, with who cleared it.
    const cleared = await s.fillForm(li, opened.id, { key: 'relation', value: '', expectedRev: 1 });
    expect(cleared.form?.values.relation).toMatchObject({ value: '', rev: 2, side: 'clerk' });

    // Each kind of entry takes only its kind of value; a refusal names the entry in Chinese.
    const bad = await expectCode(s.fillForm(li, opened.id, { key: 'relation', value: '朋友', expectedRev: 2 }), 'FORM_VALUE_INVALID');
    expect(bad.message).toBe('“申领人与参保人关系”应为以下之一：本人、配偶、子女、父母、其他法定继承人');
    await expectCode(s.fillForm(li, opened.id, { key: 'event_date', value: '2025-02-30', expectedRev: 0 }), 'FORM_VALUE_INVALID');
    await expectCode(s.fillForm(li, opened.id, { key: 'event_date', value: '去年', expectedRev: 0 }), 'FORM_VALUE_INVALID');
    await expectCode(s.fillForm(li, opened.id, { key: 'bank_name', value: '一行\n两行', expectedRev: 1 }), 'FORM_VALUE_INVALID');
    await expectCode(s.fillForm(li, opened.id, { key: 'bank_account', value: '6'.repeat(31), expectedRev: 2 }), 'FORM_VALUE_INVALID');
    const dated = await s.fillForm(li, opened.id, { key: 'event_date', value: '2025-06-30', expectedRev: 0 });
    expect(dated.form?.values.event_date?.value).toBe('2025-06-30');
    const remarks = await s.fillForm(WUJIANG_COUNTER, opened.id, { key: 'remarks', value: '第一行\r\n第二行', expectedRev: 0 });
    expect(remarks.form?.values.remarks?.value).toBe('第一行\n第二行');
    // The applicant's own entries come from the case, never from the form; unknown entries do not exist.
    await expectCode(s.fillForm(WUJIANG_COUNTER, opened.id, { key: 'applicant_id', value: '110101199003074573', expectedRev: 0 }), 'FORM_FIELD_READONLY');
    await expectCode(s.fillForm(li, opened.id, { key: 'salary', value: '1', expectedRev: 0 }), 'FORM_FIELD_UNKNOWN');

    // Only the two sides: not the item's other clerk, not another counter.
    await expectCode(s.fillForm(wang, opened.id, { key: 'address', value: '吴江区', expectedRev: 0 }), 'FORBIDDEN');
    await expectCode(s.fillForm(HUOQIU_COUNTER, opened.id, { key: 'address', value: '吴江区', expectedRev: 0 }), 'FORBIDDEN');

    // The chain: every write with who wrote it, the rev, and the value with ID and mobile numbers masked.
    const { events } = await s.history(opened.id);
    const filled = events.filter((e) => e.action === 'form.filled').map((e) => ({ actor: e.actor.id, ...(e.data as { key: string; rev: number; value: string }) }));
    expect(filled).toEqual([
      { actor: 'wujiang-kyth-01', key: 'insured_name', rev: 1, value: '陈添荣' },
      { actor: 'clerk-form-li', key: 'bank_name', rev: 1, value: '中国农业银行霍邱县支行' },
      { actor: 'clerk-form-li', key: 'bank_account', rev: 1, value: '6228480000000000001' },
      { actor: 'wujiang-kyth-01', key: 'bank_account', rev: 2, value: '6228480000000000002' },
      { actor: 'clerk-form-li', key: 'relation', rev: 1, value: '子女' },
      { actor: 'clerk-form-li', key: 'relation', rev: 2, value: '' },
      { actor: 'clerk-form-li', key: 'event_date', rev: 1, value: '2025-06-30' },
      { actor: 'wujiang-kyth-01', key: 'remarks', rev: 1, value: '第一行\n第二行' },
    ]);
    expect((await s.audit(opened.id)).verdict.ok).toBe(true);

    // Once the case is closed the form is what it was: no more writes.
    await s.transition(li, opened.id, { to: 'rejected', reason: '材料不符' });
    await expectCode(s.fillForm(li, opened.id, { key: 'address', value: '吴江区', expectedRev: 0 }), 'CASE_WRONG_STATE');
  });

  it('stores the writes of one entry racing from one rev exactly once: one wins, every other is told', async () => {
    const s = env.world.service;
    const opened = await s.openCase(WUJIANG_COUNTER, { partnershipId: env.world.demo.partnershipId, itemCode: ITEMS.pension, applicant: APPLICANT });
    await s.acceptCase(li, opened.id);
    const writes = Array.from({ length: 8 }, (_, i) =>
      s.fillForm(i % 2 === 0 ? li : WUJIANG_COUNTER, opened.id, { key: 'address', value: `地址${i}`, expectedRev: 0 }).then(
        (r) => ({ ok: true as const, value: r.form!.values.address!.value }),
        (e: { code?: string }) => ({ ok: false as const, code: e.code }),
      ),
    );
    const results = await Promise.all(writes);
    const won = results.filter((r) => r.ok);
    expect(won).toHaveLength(1);
    expect(results.filter((r) => !r.ok).map((r) => (r as { code?: string }).code)).toEqual(Array(7).fill('FORM_FIELD_CONFLICT'));
    const stored = (await s.getCase(opened.id)).form!.values.address!;
    expect(stored).toMatchObject({ rev: 1, value: (won[0] as { value: string }).value });
  });

  it('caps the writes each side stores, so one side saving without end leaves the other its own', async () => {
    const s = env.world.service;
    const opened = await s.openCase(WUJIANG_COUNTER, { partnershipId: env.world.demo.partnershipId, itemCode: ITEMS.pension, applicant: APPLICANT });
    await s.acceptCase(li, opened.id);
    // Real writes up to the counter's cap (one entry back and forth, each its own rev and audit event).
    for (let rev = 0; rev < MAX_FORM_CHANGES_PER_SIDE; rev++) await s.fillForm(WUJIANG_COUNTER, opened.id, { key: 'remarks', value: `第${rev}稿`, expectedRev: rev });
    const e = await expectCode(s.fillForm(WUJIANG_COUNTER, opened.id, { key: 'address', value: '吴江区', expectedRev: 0 }), 'BUDGET_EXCEEDED');
    expect(e.details).toMatchObject({ budget: 'formChangesPerSide', limit: MAX_FORM_CHANGES_PER_SIDE });
    expect(e.message).toContain('本方');
    const after = await s.getCase(opened.id);
    expect(after.form?.values.address).toBeUndefined();
    expect(after.form?.values.remarks?.rev).toBe(MAX_FORM_CHANGES_PER_SIDE);
    expect(after.form?.changesBySide).toEqual({ counter: MAX_FORM_CHANGES_PER_SIDE, clerk: 0 });
    // The clerk's writes are its own: the counter's flood did not use them up.
    const byClerk = await s.fillForm(li, opened.id, { key: 'address', value: '霍邱县城关镇', expectedRev: 0 });
    expect(byClerk.form?.values.address).toMatchObject({ value: '霍邱县城关镇', side: 'clerk', rev: 1 });
    expect(byClerk.form?.changesBySide).toEqual({ counter: MAX_FORM_CHANGES_PER_SIDE, clerk: 1 });
    expect(byClerk.form?.changes).toBe(MAX_FORM_CHANGES_PER_SIDE + 1);
  });

  it('gives an item without a form no form on its cases', async () => {
    const s = env.world.service;
    const opened = await s.openCase(WUJIANG_COUNTER, { partnershipId: env.world.demo.partnershipId, itemCode: ITEMS.certificate, applicant: APPLICANT });
    expect(opened.form).toBeUndefined();
    await expectCode(s.fillForm(WUJIANG_COUNTER, opened.id, { key: 'address', value: '吴江区', expectedRev: 0 }), 'FORM_FIELD_UNKNOWN');
  });
});
