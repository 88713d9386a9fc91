import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DocumentInputData, IssuedDocument } from '@rvw/documents';
import { createDocumentsEnv, type DocumentsEnv } from './support/env';
import { ISSUED_AT, SAMPLE_INPUTS } from './support/fixtures';
import { darkRatio, pdfsig, pdftotext, qpdfCheck, renderPage1 } from './support/popplerTools';

const TITLES: Record<DocumentInputData['type'], string> = {
  receipt: '受理回执',
  missing_notice: '容缺受理告知书',
  payment_certificate: '参保缴费证明',
  completion_notice: '办结通知书',
  application_form: '申请表',
};

let env: DocumentsEnv;
beforeAll(async () => {
  env = await createDocumentsEnv();
});
afterAll(async () => {
  await env?.dispose();
});

/** The CMS SignerInfo embedded in a signed PDF. */
function signerInfoOf(bytes: Uint8Array): pkijs.SignerInfo {
  const text = Buffer.from(bytes).toString('latin1');
  const m = /\/ByteRange \[(\d+) (\d+) (\d+) (\d+)/.exec(text);
  if (!m) throw new Error('no ByteRange');
  const der = Buffer.from(text.slice(Number(m[2]) + 1, Number(m[3]) - 1), 'hex');
  const contentInfo = new pkijs.ContentInfo({ schema: asn1js.fromBER(der).result });
  return new pkijs.SignedData({ schema: contentInfo.content }).signerInfos[0] as pkijs.SignerInfo;
}

describe.each(Object.keys(SAMPLE_INPUTS) as Array<DocumentInputData['type']>)('template %s', (type) => {
  let issued: IssuedDocument;
  let file: string;
  beforeAll(async () => {
    issued = await env.service.issue(SAMPLE_INPUTS[type]);
    file = path.join(env.dir, `${type}.pdf`);
    await writeFile(file, issued.bytes);
  });

  it('is a PAdES signature pdfsig accepts: valid, trusted, total document, ETSI.CAdES.detached', async () => {
    const report = await pdfsig(file, env.nssDir);
    expect(report.signatureValid, report.raw).toBe(true);
    expect(report.certificateTrusted, report.raw).toBe(true);
    expect(report.totalDocumentSigned, report.raw).toBe(true);
    expect(report.subFilter).toBe('ETSI.CAdES.detached');
    expect(report.raw).toContain('霍邱县政务服务管理局 (341522)');
  });

  it('passes qpdf --check', async () => {
    const check = await qpdfCheck(file);
    expect(check.ok, check.output).toBe(true);
  });

  it('has extractable Chinese text with title, applicant, item, authority, number and date', async () => {
    // -layout keeps letter-spaced titles as "参 保 缴 费 证 明"; compare without spaces.
    const text = (await pdftotext(file)).replace(/[ \u3000]+/g, '');
    const input = SAMPLE_INPUTS[type];
    expect(text).toContain(TITLES[type]);
    expect(text).toContain(input.applicant.name);
    expect(text).toContain('3415**********1234');
    expect(text).toContain(input.item.name);
    expect(text).toContain(input.authority);
    expect(text).toContain(issued.number);
    expect(text).toContain('2026年11月23日');
    // The QR code and footer carry the unguessable handle, never the sequential number.
    expect(text).toContain(`https://rvw.example.gov.cn/verify/${issued.record.handle}`);
    expect(text).not.toContain(`verify/${issued.number}`);
  });

  it('renders visible glyphs where the title is and nothing in the left margin', async () => {
    const page = await renderPage1(file);
    expect(page.width).toBeGreaterThan(400);
    const title = darkRatio(page, { left: 0.35, right: 0.65, top: 0.07, bottom: 0.115 });
    const margin = darkRatio(page, { left: 0, right: 0.08, top: 0, bottom: 1 });
    expect(title).toBeGreaterThan(0.04);
    expect(margin).toBeLessThan(0.002);
  });

  it('signs contentType, messageDigest and signing-certificate-v2 but no signing-time; the time is in /M', () => {
    const info = signerInfoOf(issued.bytes);
    const types = info.signedAttrs?.attributes.map((a) => a.type).sort();
    expect(types).toEqual(['1.2.840.113549.1.9.16.2.47', '1.2.840.113549.1.9.3', '1.2.840.113549.1.9.4']);
    expect(info.signatureAlgorithm.algorithmId).toBe('1.2.840.10045.4.3.2');
    // DER SET OF: attribute encodings in ascending order.
    const encodings = (info.signedAttrs?.attributes ?? []).map((a) => Buffer.from(a.toSchema().toBER()));
    expect([...encodings].sort(Buffer.compare)).toEqual(encodings);
    expect(info.unsignedAttrs).toBeUndefined();
    expect(Buffer.from(issued.bytes).toString('latin1')).toContain("/M (D:20261123093000+08'00')");
    expect(Buffer.from(issued.bytes).toString('latin1')).toMatch(/\/Contents <[0-9a-f]{16384}>/);
  });

  it('is stored content-addressed and indexed in Redis without personal data in clear', async () => {
    expect(issued.number).toMatch(/^RVW-341522-20261123-\d{6}$/);
    const onDisk = await readFile(env.store.pathFor(issued.sha256));
    expect(Buffer.compare(onDisk, Buffer.from(issued.bytes))).toBe(0);
    expect(env.store.pathFor(issued.sha256)).toContain(path.join('documents', issued.sha256.slice(0, 2), `${issued.sha256}.pdf`));
    const hash = await env.redis.hGetAll(`doc:${issued.number}`);
    expect(hash).toMatchObject({ sha256: issued.sha256, caseId: 'C20261123-0042', type, title: TITLES[type], issuerRegion: '341522', issuerName: SAMPLE_INPUTS[type].authority, signerSubject: '霍邱县政务服务管理局 (341522)', issuedAt: ISSUED_AT.toISOString(), applicantMasked: '张*丰' });
    expect(JSON.stringify(hash)).not.toContain('张三丰');
    expect(await env.store.findBySha256(issued.sha256)).toMatchObject({ number: issued.number });
  });

  it('verifies with our own verifier against the registry', async () => {
    const verdict = await env.verify(issued.bytes);
    expect(verdict).toMatchObject({ valid: true, reason: 'OK', number: issued.number, issuer: SAMPLE_INPUTS[type].authority, issuedAt: ISSUED_AT.toISOString(), sha256: issued.sha256, title: TITLES[type], signer: '霍邱县政务服务管理局 (341522)' });
  });
});

describe('issuing', () => {
  it('numbers documents per region and China calendar day from a Redis counter', async () => {
    const a = await env.store.allocateNumber('320583', new Date('2026-11-23T15:59:59Z'));
    const b = await env.store.allocateNumber('320583', new Date('2026-11-23T16:00:00Z'));
    expect(a).toBe('RVW-320583-20261123-000001');
    expect(b).toBe('RVW-320583-20261124-000001');
    expect(await env.store.allocateNumber('320583', new Date('2026-11-23T10:00:00Z'))).toBe('RVW-320583-20261123-000002');
  });

  it('signs with the issuing region key', async () => {
    const issued = await env.service.issue({ ...SAMPLE_INPUTS.receipt, region: { code: '320583', name: '江苏省苏州市昆山市' }, authority: '昆山市政务服务管理办公室' });
    expect(issued.signer).toBe('昆山市政务服务管理办公室 (320583)');
    expect(issued.number).toMatch(/^RVW-320583-/);
    expect((await env.verify(issued.bytes)).valid).toBe(true);
  });

  it('refuses a whole ID number, unknown regions, reused numbers and characters the font lacks', async () => {
    await expect(env.service.issue({ ...SAMPLE_INPUTS.receipt, applicant: { name: '张三', idNumberMasked: '341522199001011234' } })).rejects.toMatchObject({ code: 'DOCUMENT_INPUT_INVALID' });
    await expect(env.service.issue({ ...SAMPLE_INPUTS.receipt, region: { code: '110101', name: '北京市东城区' } })).rejects.toMatchObject({ code: 'SIGNER_NOT_FOUND' });
    const first = await env.service.issue({ ...SAMPLE_INPUTS.receipt, number: 'RVW-341522-20261123-900001' });
    expect(first.number).toBe('RVW-341522-20261123-900001');
    await expect(env.service.issue({ ...SAMPLE_INPUTS.completion_notice, number: 'RVW-341522-20261123-900001' })).rejects.toMatchObject({ code: 'DOCUMENT_NUMBER_TAKEN' });
    await expect(env.service.issue({ ...SAMPLE_INPUTS.receipt, applicant: { name: '张\u{2A6A5}', idNumberMasked: '3415**********1234' } })).rejects.toMatchObject({ code: 'DOCUMENT_UNSUPPORTED_CHARACTER' });
  });

  it('breaks a long payment table across pages, repeating the header, and still signs the whole file', async () => {
    const rows = Array.from({ length: 60 }, (_, i) => ({ from: `${2000 + Math.floor(i / 2)}-${i % 2 ? '07' : '01'}`, to: `${2000 + Math.floor(i / 2)}-${i % 2 ? '12' : '06'}`, base: 3000 + i * 50, employerAmount: 480 + i * 8, personalAmount: 240 + i * 4 }));
    const issued = await env.service.issue({ ...SAMPLE_INPUTS.payment_certificate, rows });
    const file = path.join(env.dir, 'long.pdf');
    await writeFile(file, issued.bytes);
    const text = await pdftotext(file);
    const pages = Number(/第\s*1\s*页\s*共\s*(\d+)\s*页/.exec(text)?.[1]);
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(text.match(/缴费单位/g)?.length).toBeGreaterThanOrEqual(2);
    const report = await pdfsig(file, env.nssDir);
    expect(report.signatureValid && report.totalDocumentSigned && report.certificateTrusted, report.raw).toBe(true);
  });
});
