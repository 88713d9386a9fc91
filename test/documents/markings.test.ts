import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DocumentInputData } from '@rvw/documents';
import { createDocumentsEnv, type DocumentsEnv } from './support/env';
import { SAMPLE_INPUTS } from './support/fixtures';
import { pdfsig, pdftotext } from './support/popplerTools';

let env: DocumentsEnv;
beforeAll(async () => {
  env = await createDocumentsEnv();
});
afterAll(async () => {
  await env?.dispose();
});

/** Writes the bytes to a file and returns pdftotext's text without spaces (titles are letter-spaced). */
async function textOf(name: string, bytes: Uint8Array): Promise<{ file: string; text: string }> {
  const file = path.join(env.dir, name);
  await writeFile(file, bytes);
  return { file, text: (await pdftotext(file)).replace(/[ \u3000\n]+/g, '') };
}

describe('sample data is marked on the document', () => {
  it('a certificate from demonstration data says 样本 / 演示数据 on its face, and pdfsig still verifies it', async () => {
    const issued = await env.service.issue({ ...SAMPLE_INPUTS.payment_certificate, sample: true });
    const { file, text } = await textOf('sample.pdf', issued.bytes);
    expect(text).toContain('样本·演示数据，不作为正式证明');
    const report = await pdfsig(file, env.nssDir);
    expect(report.signatureValid && report.certificateTrusted && report.totalDocumentSigned, report.raw).toBe(true);
    expect(issued.record.sample).toBe(true);
    expect(await env.redis.hGet(`doc:${issued.number}`, 'sample')).toBe('true');
    // A real certificate has neither the banner nor the diagonal watermark.
    const real = await textOf('real.pdf', (await env.service.issue(SAMPLE_INPUTS.payment_certificate)).bytes);
    expect(real.text).not.toContain('演示数据');
    expect(real.text).not.toContain('样本');
  });
});

describe('preview', () => {
  it('renders the same layout marked 预览, unsigned, with no number taken', async () => {
    const before = await env.redis.keys('doc:seq:*');
    const counts = await Promise.all(before.map((k) => env.redis.get(k)));
    const preview = await env.service.preview(SAMPLE_INPUTS.receipt);
    expect(preview.title).toBe('受理回执');
    const { text } = await textOf('preview.pdf', preview.bytes);
    expect(text).toContain('预览·未签章、未编号，不具效力');
    expect(text).toContain('受理回执');
    expect(text).toContain(SAMPLE_INPUTS.receipt.item.name);
    expect(Buffer.from(preview.bytes).toString('latin1')).not.toContain('/ByteRange');
    expect(await env.redis.keys('doc:seq:*')).toEqual(before);
    expect(await Promise.all(before.map((k) => env.redis.get(k)))).toEqual(counts);
  });
});

describe('human case numbers', () => {
  it('prints the case number, not the internal id, on every template', async () => {
    for (const type of Object.keys(SAMPLE_INPUTS) as Array<DocumentInputData['type']>) {
      const issued = await env.service.issue({ ...SAMPLE_INPUTS[type], caseId: '5f0c1c9e-6a7b-4d1e-9a51-1b2c3d4e5f60', caseNumber: '341522-20261123-0007' } as DocumentInputData);
      const { text } = await textOf(`number-${type}.pdf`, issued.bytes);
      expect(text, type).toContain('341522-20261123-0007');
      expect(text, type).not.toContain('5f0c1c9e');
    }
  });
});

describe('容缺受理告知书 follows the real checklist', () => {
  const base = SAMPLE_INPUTS.missing_notice;

  it('names what was submitted and what was waived, with deadlines, and never claims completeness', async () => {
    const issued = await env.service.issue({
      ...base,
      missing: [{ name: '户口簿', note: '申请人承诺限期补交', deadline: '2026-12-01' }],
      submitted: ['居民身份证'],
      stillMissing: [],
    });
    const { text } = await textOf('notice-complete.pdf', issued.bytes);
    expect(text).toContain('您已提交“居民身份证”');
    expect(text).toContain('户口簿');
    expect(text).toContain('2026年12月1日');
    expect(text).not.toContain('主要申请材料齐全');
    expect(text).not.toContain('尚未提交，也未予容缺受理');
  });

  it('lists mandatory materials neither submitted nor waived, and says the case cannot close without them', async () => {
    const issued = await env.service.issue({
      ...base,
      missing: [{ name: '户口簿', note: '申请人承诺限期补交' }],
      submitted: [],
      stillMissing: ['银行卡或存折', '死亡证明或其他证明材料'],
    });
    const { text } = await textOf('notice-gaps.pdf', issued.bytes);
    expect(text).toContain('您尚未提交申请材料');
    expect(text).toContain('下列材料尚未提交，也未予容缺受理：“银行卡或存折”、“死亡证明或其他证明材料”');
    expect(text).toContain('本事项不能办结');
    expect(text).not.toContain('主要申请材料齐全');
  });
});
