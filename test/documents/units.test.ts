import { describe, expect, it } from 'vitest';
import fontkit from '@pdf-lib/fontkit';
import { DocumentInputSchema, FontCache } from '@rvw/documents';
import { TrueTypeSubset } from '@rvw/documents/font/TrueTypeSubset';
import { maskPersonName } from '@rvw/documents/privacy/maskPersonName';
import { wrapText } from '@rvw/documents/render/wrapText';
import { formatChineseDate } from '@rvw/documents/time/formatChineseDate';
import { SAMPLE_INPUTS } from './support/fixtures';

// 10 points per CJK character, 5 per Latin one: easy arithmetic for line-breaking rules.
const measure = (s: string) => [...s].reduce((w, c) => w + (c.charCodeAt(0) > 255 ? 10 : 5), 0);

describe('wrapText', () => {
  it('breaks Chinese between characters and keeps Latin runs together', () => {
    expect(wrapText('一二三四五六七八九十一二三', 100, measure)).toEqual(['一二三四五六七八九十', '一二三']);
    expect(wrapText('一二三四五六七八ABCDE', 100, measure)).toEqual(['一二三四五六七八', 'ABCDE']);
  });

  it('hangs closing punctuation and carries opening punctuation to the next line', () => {
    expect(wrapText('一二三四五六七八九十。后', 100, measure)).toEqual(['一二三四五六七八九十。', '后']);
    expect(wrapText('一二三四五六七八九（十）', 100, measure)).toEqual(['一二三四五六七八九', '（十）']);
  });

  it('indents the first line and honours explicit newlines', () => {
    expect(wrapText('一二三四五六七八九十', 100, measure, 20)).toEqual(['一二三四五六七八', '九十']);
    expect(wrapText('甲\n乙', 100, measure)).toEqual(['甲', '乙']);
  });
});

describe('formatting and masking', () => {
  it('prints dates the Chinese way in China time', () => {
    expect(formatChineseDate('2026-11-23')).toBe('2026年11月23日');
    expect(formatChineseDate(new Date('2026-11-23T16:30:00Z'))).toBe('2026年11月24日');
    expect(formatChineseDate(new Date('2026-11-23T01:05:00Z'), { withTime: true })).toBe('2026年11月23日 09:05');
  });

  it('masks names keeping the surname', () => {
    expect(maskPersonName('张三')).toBe('张*');
    expect(maskPersonName('张三丰')).toBe('张*丰');
    expect(maskPersonName('欧阳娜娜')).toBe('欧**娜');
  });
});

describe('DocumentInputSchema', () => {
  it('accepts the samples and requires a masked ID number', () => {
    for (const input of Object.values(SAMPLE_INPUTS)) expect(DocumentInputSchema.safeParse(input).success).toBe(true);
    const unmasked = { ...SAMPLE_INPUTS.receipt, applicant: { name: '张三', idNumberMasked: '341522199001011234' } };
    expect(DocumentInputSchema.safeParse(unmasked).success).toBe(false);
  });

  it('rejects inconsistent dates and ranges', () => {
    expect(DocumentInputSchema.safeParse({ ...SAMPLE_INPUTS.missing_notice, deadline: '2026-11-01' }).success).toBe(false);
    expect(DocumentInputSchema.safeParse({ ...SAMPLE_INPUTS.payment_certificate, rows: [{ from: '2024-12', to: '2024-01', base: 1, employerAmount: 1, personalAmount: 1 }] }).success).toBe(false);
  });
});

describe('TrueTypeSubset', () => {
  it('produces a font fontkit reads back, composite glyphs and their components included', async () => {
    const fonts = await FontCache.load();
    const subset = new TrueTypeSubset(fonts.tables);
    // 保 is a composite glyph in WenQuanYi Micro Hei; 三 a simple one.
    const bao = fonts.face.glyphForCodePoint('保'.codePointAt(0) as number);
    const san = fonts.face.glyphForCodePoint('三'.codePointAt(0) as number);
    expect(subset.includeGlyph(bao)).toBe(1);
    expect(subset.includeGlyph(san)).toBe(2);
    const font = fontkit.create(subset.encode());
    expect(font.numGlyphs).toBeGreaterThan(3); // components were appended
    expect(font.getGlyph(1).path.toSVG().length).toBeGreaterThan(100);
    expect(font.getGlyph(1).advanceWidth).toBe(bao.advanceWidth);
    expect(font.getGlyph(2).path.toSVG()).toBe(san.path.toSVG());
  });
});
