import { describe, expect, it } from 'vitest';
import { parseInput } from '@rvw/signaling/catalog/parseInput';
import { OpenCaseInput } from '@rvw/signaling/cases/CaseInputs';
import { AppError } from '@rvw/signaling/errors/AppError';
import { parseClientFrame } from '@rvw/protocol/messages';
import { withCheckDigit } from '../harness/idNumber';

// What a person sees of refused input: a Chinese sentence saying what to do, never a schema path,
// a regular expression or zod's English (those go into details, for the log).
const ASCII_TECH = /[A-Za-z]{3,}|\/\^|\\d/;
const frame = (type: string, fields: Record<string, unknown>) => JSON.stringify({ id: 1, type, ...fields });
const ID = withCheckDigit('32058419580312123');

function refused(raw: string): { message: string; details?: Record<string, unknown> } {
  const r = parseClientFrame(raw);
  if (r.ok) throw new Error('accepted');
  return r.error;
}

describe('validation messages people see', () => {
  it('a bad 容缺 deadline asks for a date, the detail stays out of the message', () => {
    const e = refused(frame('material.waive', { caseId: 'c1', materialId: 'm1', note: '后补', deadline: '下周三' }));
    expect(e.message).toBe('请选择补交期限（日期）');
    expect(String(e.details?.issue)).toContain('deadline');
  });

  it('a bad ID number asks to check the 18 digits', () => {
    const e = refused(frame('queue.join', { partnershipId: 'p', itemCode: 'i', applicant: { name: '陈建国', idNumber: '320584195803121230' } }));
    expect(e.message).toContain('身份证号码格式不正确，请核对 18 位号码');
    expect(e.message).not.toMatch(ASCII_TECH);
  });

  it.each([
    ['chat.send', { caseId: 'c1', text: '' }, '消息不能为空'],
    ['rating.submit', { caseId: 'c1', target: 'clerk', score: 9 }, '请选择 1 至 5 星的评价'],
    ['queue.join', { partnershipId: 'p', itemCode: 'i', applicant: { name: '', idNumber: ID } }, '请填写申请人姓名'],
    ['ping', { extra: 1 }, '请刷新页面后重试'],
    ['case.get', {}, '请刷新页面后重试'],
  ])('%s → a Chinese sentence', (type, fields, expected) => {
    const e = refused(frame(type, fields));
    expect(e.message).toContain(expected);
    expect(e.message).not.toMatch(ASCII_TECH);
  });

  it('malformed frames and unknown types read as Chinese too', () => {
    for (const raw of ['{"id":1,', '{"id":1,"type":"drop.tables"}', `{"id":1,"type":"ping","__proto__":{"x":1}}`]) {
      expect(refused(raw).message).not.toMatch(ASCII_TECH);
    }
  });

  it('use-case input refused by parseInput: advice or the schema’s own Chinese, issues in details', () => {
    try {
      parseInput(OpenCaseInput, { partnershipId: 'wujiang-huoqiu', itemCode: '000117013000', applicant: { name: '陈建国', idNumber: '1234' } });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AppError);
      const err = e as AppError;
      expect(err.code).toBe('VALIDATION_FAILED');
      expect(err.message).toContain('身份证号码');
      expect(err.message).not.toMatch(ASCII_TECH);
      expect(JSON.stringify(err.details)).toContain('idNumber');
    }
  });
});
