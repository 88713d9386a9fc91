import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClerkPrincipal } from '@rvw/signaling/auth/policy';
import { OpenCaseInput } from '@rvw/signaling/cases/CaseInputs';
import { CASE_LIMITS } from '@rvw/protocol/caseRecord';
import { buildDocumentInput } from '@rvw/signaling/issuing/buildDocumentInput';
import type { PaymentHistorySource } from '@rvw/signaling/issuing/PaymentHistorySource';
import { pdfsig, pdftotext } from '../documents/support/popplerTools';
import { startTestNode, type TestNode } from '../harness/testNode';
import { HUOQIU, ITEM_X, openAcceptedCase, applicant, PARTNERSHIP } from './support/fixtures';
import { httpRequest } from './support/http';
import { WsClient } from './support/wsClient';

const run = promisify(execFile);

// Issue #12 F1 and F2: nothing the applicant side writes is printed as the authority's words, and
// no number is taken, nothing is signed, nothing verifies, unless the case takes the document.
describe('signed documents under abuse', () => {
  let t: TestNode;
  let counter: WsClient;
  let clerk: WsClient;
  let bystander: WsClient;
  let clerkPrincipal: ClerkPrincipal;
  let tmp: string;
  let nssDir: string;

  const cookieOf = (c: { name: string; value: string }) => `${c.name}=${c.value}`;
  const version = async (caseId: string) => (await t.node.cases.getCase(caseId)).version;
  /** Every document record in Redis, whatever its state (reserved and withdrawn ones included). */
  const documentKeys = async () => (await t.node.redis.keys('doc:*')).filter((k) => /^doc:RVW-/.test(k)).sort();

  beforeAll(async () => {
    t = await startTestNode();
    const k = await t.clerk(HUOQIU, [ITEM_X], '霍邱 王敏');
    const other = await t.clerk(HUOQIU, [ITEM_X], '霍邱 赵磊');
    const c = await t.counter('wujiang-kyth-01');
    counter = await WsClient.connect(t.origin, cookieOf(c.cookie));
    clerk = await WsClient.connect(t.origin, cookieOf(k.cookie));
    bystander = await WsClient.connect(t.origin, cookieOf(other.cookie));
    clerkPrincipal = { kind: 'staff', role: 'clerk', staffId: k.staffId, name: '霍邱 王敏', regionCode: HUOQIU, itemCodes: [ITEM_X] };
    tmp = await mkdtemp(path.join(os.tmpdir(), 'rvw-doc-abuse-'));
    nssDir = path.join(tmp, 'nss');
    await mkdir(nssDir);
    await run('certutil', ['-N', '--empty-password', '-d', `sql:${nssDir}`]);
    await run('certutil', ['-A', '-n', 'rvw-ca', '-t', 'CT,C,C', '-i', path.join(t.node.configPkiDir, 'ca.pem'), '-d', `sql:${nssDir}`]);
  });

  afterAll(async () => {
    await Promise.all([counter?.close(), clerk?.close(), bystander?.close()]);
    await t?.dispose();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  async function pdfOf(number: string): Promise<string> {
    const record = await t.node.documentStore.get(number);
    if (!record) throw new Error(`document ${number} not found`);
    const file = path.join(tmp, `${number}.pdf`);
    await writeFile(file, await t.node.documentStore.readPdf(record));
    return file;
  }

  it('F1: the counter cannot write 办理意见 or 办理结果; a document carries only what the clerk wrote, validly signed', async () => {
    const caseId = await openAcceptedCase(counter, clerk, ITEM_X);
    const forged = '经审核同意，特此证明。补发养老金 98000 元';

    for (const key of ['note', 'result', 'authority.basis']) {
      const r = await counter.request('case.update', { caseId, expectedVersion: await version(caseId), fields: { [key]: forged } });
      expect(r.ok, key).toBe(false);
      expect(r.error?.code, key).toBe('CASE_FIELD_NOT_OWNED');
      expect(r.error?.message).toMatch(/办理意见.*受理地工作人员填写/);
      expect(r.error?.details).toEqual({ fields: [key] });
    }
    // Smuggled beside an applicant field: the whole write is refused, nothing of it lands.
    const mixed = await counter.request('case.update', { caseId, expectedVersion: await version(caseId), fields: { phone: '13800000000', note: forged } });
    expect(mixed.error?.code).toBe('CASE_FIELD_NOT_OWNED');
    expect((await t.node.cases.getCase(caseId)).fields).toEqual({});

    // What the applicant side may write: the application form, its own statement.
    const own = await counter.request('case.update', { caseId, expectedVersion: await version(caseId), fields: { statement: forged, phone: '13800000000' } });
    expect(own.ok, JSON.stringify(own.error)).toBe(true);
    // Another clerk of the item, not holding the case, writes nothing at all.
    const stranger = await bystander.request('case.update', { caseId, expectedVersion: await version(caseId), fields: { note: '同意' } });
    expect(stranger.error?.code).toBe('FORBIDDEN');
    // The holding clerk states the authority's words.
    const mine = await clerk.request('case.update', { caseId, expectedVersion: await version(caseId), fields: { note: '材料齐全，予以受理。' } });
    expect(mine.ok, JSON.stringify(mine.error)).toBe(true);
    expect((await t.node.cases.getCase(caseId)).fields).toEqual({ statement: forged, phone: '13800000000', note: '材料齐全，予以受理。' });

    const doc = await clerk.call('document.issue', { caseId, docType: 'receipt' });
    const file = await pdfOf(doc.number);
    const text = (await pdftotext(file)).replace(/[ \u3000]+/g, '');
    expect(text).toContain('办理意见');
    expect(text).toContain('材料齐全，予以受理。');
    expect(text).not.toContain('98000');
    expect(text).not.toContain('特此证明');
    const report = await pdfsig(file, nssDir);
    expect(report, report.raw).toMatchObject({ signatureValid: true, certificateTrusted: true, totalDocumentSigned: true });
  });

  it('F1: a case cannot be opened with the authority\'s fields already filled in', () => {
    const base = { partnershipId: PARTNERSHIP, itemCode: ITEM_X, applicant: applicant() };
    expect(OpenCaseInput.safeParse({ ...base, fields: { statement: '本人申请' } }).success).toBe(true);
    const refused = OpenCaseInput.safeParse({ ...base, fields: { note: '经审核同意' } });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toContain('受理地工作人员填写');
  });

  it('F2: issuing on a rejected case is refused before a number is taken; nothing stored, nothing verifiable', async () => {
    const live = await openAcceptedCase(counter, clerk, ITEM_X);
    const first = await clerk.call('document.issue', { caseId: live, docType: 'receipt' });

    const doomed = await openAcceptedCase(counter, clerk, ITEM_X);
    await clerk.call('case.transition', { caseId: doomed, expectedVersion: await version(doomed), to: 'rejected', reason: '不符合受理条件' });
    const keysBefore = await documentKeys();
    const refused = await clerk.request('document.issue', { caseId: doomed, docType: 'receipt' });
    expect(refused.ok).toBe(false);
    expect(refused.error?.code).toBe('CASE_WRONG_STATE');
    expect(refused.error?.message).toContain('不予受理');
    // Nothing in Redis, no document in the case.
    expect(await documentKeys()).toEqual(keysBefore);
    expect((await t.node.cases.getCase(doomed)).documents).toEqual([]);

    // No number was consumed: the next one follows the first directly.
    const second = await clerk.call('document.issue', { caseId: live, docType: 'receipt' });
    const seq = (n: string) => Number(n.split('-').at(-1));
    expect(seq(second.number)).toBe(seq(first.number) + 1);
    expect(second.number.slice(0, -6)).toBe(first.number.slice(0, -6));
  });

  it('F2: every other refusal also comes before the number (type not issued by the item, no waived material)', async () => {
    const caseId = await openAcceptedCase(counter, clerk, ITEM_X);
    const keysBefore = await documentKeys();
    expect((await clerk.request('document.issue', { caseId, docType: 'payment_certificate' })).error?.code).toBe('DOCUMENT_TYPE_NOT_OFFERED');
    expect((await clerk.request('document.issue', { caseId, docType: 'missing_notice' })).error?.code).toBe('NO_WAIVED_MATERIALS');
    expect(await documentKeys()).toEqual(keysBefore);
  });

  it('F2: a case at its 50-document cap is refused before a number is taken', async () => {
    const caseId = await openAcceptedCase(counter, clerk, ITEM_X);
    // Fill the case to the cap through the attach use case itself (no rendering needed for that).
    for (let i = 0; i < CASE_LIMITS.documents; i++) {
      await t.node.cases.attachDocument(clerkPrincipal, caseId, { number: `CAP-${i}`, type: 'receipt', sha256: createHash('sha256').update(`cap-${i}`).digest('hex'), signer: 'CN=test' });
    }
    const keysBefore = await documentKeys();
    const refused = await clerk.request('document.issue', { caseId, docType: 'receipt' });
    expect(refused.error?.code).toBe('CASE_TOO_MANY_DOCUMENTS');
    expect(refused.error?.message).toContain('最多 50 份');
    expect(await documentKeys()).toEqual(keysBefore);
  });

  it('F2: when the case refuses a document after it was signed (a race), the PDF is withdrawn and never verifies', async () => {
    const caseId = await openAcceptedCase(counter, clerk, ITEM_X);
    const record = await t.node.cases.getCase(caseId);
    const input = await buildDocumentInput(
      { catalog: t.node.catalog, payments: {} as PaymentHistorySource, clock: () => new Date() },
      clerkPrincipal,
      record,
      'receipt',
    );
    // The case moves on between the checks and the attach: the real attach use case refuses.
    await clerk.call('case.transition', { caseId, expectedVersion: record.version, to: 'rejected', reason: '申请人撤回' });
    let signed: { number: string; sha256: string; bytes: Uint8Array; handle: string } | undefined;
    await expect(
      t.node.documents.issue(input, {
        accept: async (d) => {
          signed = { number: d.number, sha256: d.sha256, bytes: d.bytes, handle: d.record.handle };
          await t.node.cases.attachDocument(clerkPrincipal, caseId, { number: d.number, type: 'receipt', sha256: d.sha256, signer: d.signer });
        },
      }),
    ).rejects.toMatchObject({ code: 'CASE_WRONG_STATE' });
    expect(signed).toBeDefined();
    const { number, sha256, bytes, handle } = signed!;

    // The number stays used (withdrawn), but no lookup finds the document and its PDF is gone.
    expect(await t.node.redis.hGet(`doc:${number}`, 'state')).toBe('withdrawn');
    expect(await t.node.documentStore.get(number)).toBeUndefined();
    expect(await t.node.documentStore.getByHandle(handle)).toBeUndefined();
    expect(await t.node.documentStore.findBySha256(sha256)).toBeUndefined();
    await expect(access(t.node.documentStore.pathFor(sha256))).rejects.toThrow();
    expect((await t.node.cases.getCase(caseId)).documents).toEqual([]);

    // /verify knows nothing: neither the QR code's address nor an upload of the signed bytes.
    const page = await httpRequest(t.origin, 'GET', `/verify/${handle}`);
    expect(page.status).toBe(404);
    const upload = await httpRequest(t.origin, 'POST', '/verify', { rawBody: Buffer.from(bytes), contentType: 'application/pdf' });
    expect(upload.json?.data).toMatchObject({ valid: false, reason: 'NOT_REGISTERED' });
  });

  it('F2: a document the case took is verifiable by its QR address and by upload', async () => {
    const caseId = await openAcceptedCase(counter, clerk, ITEM_X);
    const doc = await clerk.call('document.issue', { caseId, docType: 'receipt' });
    const record = await t.node.documentStore.get(doc.number);
    expect(record?.sha256).toBe(doc.sha256);
    expect((await t.node.cases.getCase(caseId)).documents.map((d) => d.number)).toEqual([doc.number]);
    const page = await httpRequest(t.origin, 'GET', `/verify/${record!.handle}`);
    expect(page.status).toBe(200);
    const upload = await httpRequest(t.origin, 'POST', '/verify', { rawBody: Buffer.from(await t.node.documentStore.readPdf(record!)), contentType: 'application/pdf' });
    expect(upload.json?.data).toMatchObject({ valid: true, number: doc.number });
  });
});
