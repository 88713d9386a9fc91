import { describe, expect, it } from 'vitest';
import { canonicalJson } from '@rvw/signaling/audit/canonicalJson';
import { isValidIdNumber } from '@rvw/protocol/isValidIdNumber';
import { maskIdNumber } from '@rvw/signaling/cases/maskIdNumber';
import { maskName } from '@rvw/signaling/cases/maskName';
import { maskPhone } from '@rvw/signaling/cases/maskPhone';
import { redactPersonalData } from '@rvw/signaling/cases/redactPersonalData';
import { chinaStandardTime } from '@rvw/signaling/catalog/chinaStandardTime';
import { idNumber } from './fixtures';

// Pure helpers; no Redis needed.

describe('masking and redaction', () => {
  it('masks ID numbers, phones and names', () => {
    expect(maskIdNumber('341522199001011234')).toBe('3415**********1234');
    expect(maskIdNumber('34152219900101123X')).toBe('3415**********123X');
    expect(maskIdNumber('12345')).toBe('***45');
    expect(maskPhone('13812345678')).toBe('138****5678');
    expect(maskPhone('0564-6012345')).toBe('********2345');
    expect(maskName('陈添荣')).toBe('陈**');
    expect(maskName('李')).toBe('李');
  });

  it('validates ID numbers with their check character and birth date', () => {
    const valid = idNumber('34152219580312451');
    expect(isValidIdNumber(valid)).toBe(true);
    expect(isValidIdNumber(valid.slice(0, 17) + (valid.endsWith('0') ? '1' : '0'))).toBe(false);
    expect(isValidIdNumber(idNumber('34152219580230451'))).toBe(false); // 30 February
    expect(isValidIdNumber('341522580312451')).toBe(false); // 15-digit legacy numbers are no longer valid
  });

  it('redacts ID and mobile numbers in free text but leaves hashes alone', () => {
    const id = idNumber('32050919850607002');
    const sha = 'a'.repeat(20) + '13812345678' + 'b'.repeat(33);
    expect(redactPersonalData({ text: `身份证${id}，电话13812345678。`, sha, list: [id], n: 5 })).toEqual({
      text: `身份证3205**********${id.slice(-4)}，电话138****5678。`,
      sha,
      list: [`3205**********${id.slice(-4)}`],
      n: 5,
    });
  });

  it('serialises canonically and knows Beijing time', () => {
    expect(canonicalJson({ b: 1, a: [true, null, { d: 'x', c: undefined }] })).toBe('{"a":[true,null,{"d":"x"}],"b":1}');
    expect(() => canonicalJson({ a: Number.NaN })).toThrow();
    expect(chinaStandardTime(new Date('2025-07-13T16:30:00Z'))).toEqual({ date: '2025-07-14', time: '00:30', weekday: 1 });
    expect(chinaStandardTime(new Date('2025-07-20T03:00:00Z'))).toEqual({ date: '2025-07-20', time: '11:00', weekday: 7 });
  });
});
