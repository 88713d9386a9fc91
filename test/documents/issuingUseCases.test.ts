import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentService, DocumentStore, FontCache, PrintTokens, SignerRegistry, type DocumentType } from '@rvw/documents';
import { ensureDevPki } from '@rvw/infra/pki/ensureDevPki';
import type { Principal } from '@rvw/signaling/auth/Principal';
import { caseFacts } from '@rvw/signaling/cases/caseFacts';
import { approveReprint } from '@rvw/signaling/issuing/approveReprint';
import { issueDocument, type IssueDocumentDeps, type IssuedDocumentRef } from '@rvw/signaling/issuing/issueDocument';
import { DemoPaymentHistory } from '@rvw/signaling/issuing/PaymentHistorySource';
import { PrintDocument, type PrintDocumentDeps } from '@rvw/signaling/issuing/printDocument';
import { RedisDocumentIndex } from '@rvw/signaling/store/RedisDocumentIndex';
import { RedisPrintLedger } from '@rvw/signaling/store/RedisPrintLedger';
import { APPLICANT, HUOQIU_COUNTER, WUJIANG_COUNTER, expectCode, huoqiuClerk, idNumber, jpegBytes, listFiles, openAndAccept, pngBytes, useCaseWorld, ITEMS } from '../cases/fixtures';
import { pdftotext } from './support/popplerTools';

// The use cases against a real Redis, case service and signer: every refusal comes before the
// first irreversible step — no document number is taken, nothing is signed or stored, no print
// token or print counted — and the story ends in the case's record and one notification.
const env = useCaseWorld();
let dir: string;
let store: DocumentStore;
let documents: DocumentService;
const notified: Array<{ caseId: string; doc: IssuedDocumentRef }> = [];
let issueDeps: IssueDocumentDeps;
let printDeps: PrintDocumentDeps;

const clerk = huoqiuClerk('clerk-hq-1');
const otherClerk = huoqiuClerk('clerk-hq-2');
const anonymous: Principal = { kind: 'anonymous' };

/** The text of a PDF (pdftotext), spaces and line breaks removed. */
async function pdfText(bytes: Uint8Array): Promise<string> {
  const file = path.join(dir, `text-${Date.now()}.pdf`);
  await writeFile(file, bytes);
  const text = (await pdftotext(file)).replace(/[ \u3000\n]+/g, '');
  await rm(file);
  return text;
}

/** Document numbers taken so far (the per-region day counters) and every document entry, whatever its state. */
async function numbersTaken(): Promise<{ counters: Record<string, string | null>; entries: string[]; files: string[] }> {
  const redis = env.world.redis;
  const counterKeys = (await redis.keys('doc:seq:*')).sort();
  const counters = Object.fromEntries(await Promise.all(counterKeys.map(async (k) => [k, await redis.get(k)] as const)));
  return { counters, entries: (await redis.keys('doc:RVW-*')).sort(), files: await listFiles(path.join(dir, 'documents')) };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rvw-issuing-'));
  await ensureDevPki({ pkiDir: path.join(dir, 'pki'), regions: [{ code: '341522', name: '霍邱县政务服务管理局' }] });
  store = new DocumentStore({ index: new RedisDocumentIndex(env.world.redis), dataDir: dir });
  documents = await DocumentService.create({ fontCache: await FontCache.load(), signers: await SignerRegistry.load({ pkiDir: path.join(dir, 'pki') }), store, publicOrigin: 'https://rvw.example.gov.cn', clock: () => new Date() });
  issueDeps = {
    cases: env.world.service,
    catalog: env.world.catalog,
    payments: new DemoPaymentHistory(),
    documents,
    clock: () => new Date(),
    notifyIssued: (record, doc) => void notified.push({ caseId: record.id, doc }),
  };
  printDeps = {
    documents: store,
    printTokens: new PrintTokens({ ledger: new RedisPrintLedger(env.world.redis) }),
    caseFacts: async (caseId) => caseFacts(await env.world.service.getCase(caseId)),
    recordPrint: (event) => env.world.service.recordPrint(event),
    log: { warn: () => undefined },
    clock: () => new Date(),
  };
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('issueDocument', () => {
  it('refuses, in order, everyone but the holding clerk, a type the item does not issue, a 容缺 notice without waived materials and a closed case — with no number taken', async () => {
    const caseId = await openAndAccept(env.world, clerk);
    const before = await numbersTaken();
    expect(before).toEqual({ counters: {}, entries: [], files: [] });
    const attempt = (principal: Principal, docType: DocumentType) => issueDocument(issueDeps, principal, { caseId, docType });

    await expectCode(attempt(anonymous, 'receipt'), 'UNAUTHENTICATED');
    // The case's own counter, another clerk of the item, a counter elsewhere: the policy says no.
    await expectCode(attempt(WUJIANG_COUNTER, 'receipt'), 'FORBIDDEN');
    await expectCode(attempt(otherClerk, 'receipt'), 'FORBIDDEN');
    await expectCode(attempt(HUOQIU_COUNTER, 'receipt'), 'FORBIDDEN');
    // The holding clerk, but the document itself cannot be issued.
    await expectCode(attempt(clerk, 'payment_certificate'), 'DOCUMENT_TYPE_NOT_OFFERED');
    await expectCode(attempt(clerk, 'missing_notice'), 'NO_WAIVED_MATERIALS');
    // The case no longer takes documents.
    const record = await env.world.service.getCase(caseId);
    await env.world.service.transition(clerk, caseId, { to: 'rejected', expectedVersion: record.version, reason: '申请人撤回申请' });
    await expectCode(attempt(clerk, 'receipt'), 'CASE_WRONG_STATE');

    expect(await numbersTaken()).toEqual(before);
    expect((await env.world.service.getCase(caseId)).documents).toEqual([]);
    expect(notified.filter((n) => n.caseId === caseId)).toEqual([]);
  });

  it('issues for the holding clerk: one number, signed and published, in the case record and its audit, and one notification', async () => {
    const caseId = await openAndAccept(env.world, clerk);
    const doc = await issueDocument(issueDeps, clerk, { caseId, docType: 'receipt' });
    expect(doc).toMatchObject({ type: 'receipt', number: expect.stringMatching(/^RVW-341522-\d{8}-000001$/), sha256: expect.stringMatching(/^[0-9a-f]{64}$/), title: '受理回执' });
    // Published: the index finds it by number; the case holds it; the audit chain says who.
    expect(await store.get(doc.number)).toMatchObject({ number: doc.number, caseId, issuedBy: clerk.kind === 'staff' ? clerk.staffId : '', sha256: doc.sha256 });
    const record = await env.world.service.getCase(caseId);
    expect(record.documents.map((d) => ({ number: d.number, type: d.type, sha256: d.sha256 }))).toEqual([{ number: doc.number, type: 'receipt', sha256: doc.sha256 }]);
    expect(notified.filter((n) => n.caseId === caseId)).toEqual([{ caseId, doc }]);
    expect(Object.values((await numbersTaken()).counters)).toEqual(['1']);
  });
});

describe('issueDocument: the 申请表 (#18)', () => {
  it('refuses it while a required entry is empty, before the applicant signs and after a change since, with no number taken; then issues what was confirmed', async () => {
    const caseId = await openAndAccept(env.world, clerk);
    const s = env.world.service;
    const before = await numbersTaken();
    const attempt = () => issueDocument(issueDeps, clerk, { caseId, docType: 'application_form' });
    const fill = async (key: string, value: string) => {
      const rev = (await s.getCase(caseId)).form?.values[key]?.rev ?? 0;
      await s.fillForm(clerk, caseId, { key, value, expectedRev: rev });
    };
    const incomplete = await expectCode(attempt(), 'FORM_INCOMPLETE');
    expect(incomplete.message).toBe('申请表尚有必填项未填写：参保人姓名、申领人与参保人关系、申请原因、开户银行、银行账号');
    for (const [key, value] of [['insured_name', '陈添荣'], ['relation', '本人'], ['reason', '出国（境）定居'], ['bank_name', '中国农业银行霍邱县支行'], ['bank_account', '6228480000000000001']] as const) await fill(key, value);
    await expectCode(attempt(), 'CASE_SIGNATURE_REQUIRED');
    const signed = await s.confirmSignature(WUJIANG_COUNTER, caseId, { png: pngBytes('form-signature-1') });
    expect(signed.form?.confirmed).toMatchObject({ changes: 5, signatureSha256: signed.applicantSignatureSha256 });
    // A mobile number typed into a free entry is masked on paper as it is in the chain.
    await fill('address', '吴江区松陵街道 联系 13912345678');
    await expectCode(attempt(), 'FORM_CHANGED_AFTER_SIGNATURE');
    expect(await numbersTaken()).toEqual(before);
    await s.confirmSignature(WUJIANG_COUNTER, caseId, { png: pngBytes('form-signature-2') });
    const ref = await attempt();
    expect(ref.type).toBe('application_form');
    expect(ref.title).toBe('申请表');
    const record = await s.getCase(caseId);
    expect(record.documents.map((d) => d.type)).toEqual(['application_form']);
    const text = await pdfText(await store.readPdf({ sha256: ref.sha256, number: ref.number }));
    for (const v of ['陈添荣', '出国（境）定居', '6228480000000000001', '139****5678', record.form!.confirmed!.signatureSha256.slice(0, 32)]) expect(text).toContain(v);
    expect(text).not.toContain('13912345678');
  });

  it('names the 代办人 and the 帮办员 where the documents must: the receipt’s table and the 申请表’s confirmation (帮办代办)', async () => {
    const s = env.world.service;
    const agent = { name: '陈小红', idNumber: idNumber('32058419880512342'), relationship: '子女' as const };
    const opened = await s.openCase(WUJIANG_COUNTER, { partnershipId: env.world.demo.partnershipId, itemCode: ITEMS.pension, applicant: APPLICANT, agent, helper: { name: '周敏' } });
    await s.acceptCase(clerk, opened.id);
    const receipt = await issueDocument(issueDeps, clerk, { caseId: opened.id, docType: 'receipt' });
    const receiptText = await pdfText(await store.readPdf({ sha256: receipt.sha256, number: receipt.number }));
    expect(receiptText).toContain(`代办人陈小红（与申请人关系：子女），证件号码${agent.idNumber.slice(0, 4)}**********${agent.idNumber.slice(14)}`);
    expect(receiptText).toContain('帮办人员周敏');
    expect(receiptText).not.toContain(agent.idNumber);
    for (const [key, value] of [['insured_name', '陈添荣'], ['relation', '子女'], ['reason', '参保人死亡'], ['bank_name', '中国农业银行霍邱县支行'], ['bank_account', '6228480000000000001']] as const) await s.fillForm(clerk, opened.id, { key, value, expectedRev: 0 });
    await s.confirmSignature(WUJIANG_COUNTER, opened.id, { png: pngBytes('agent-signature') });
    // The agent signs for the applicant only on the applicant's consent: the 委托书 kept first.
    const refused = await expectCode(issueDocument(issueDeps, clerk, { caseId: opened.id, docType: 'application_form' }), 'AGENT_CONSENT_MISSING');
    expect(refused.message).toContain('授权委托书');
    const withConsent = await s.captureMaterial(clerk, opened.id, { kind: 'document_camera', bytes: jpegBytes('power-of-attorney'), mime: 'image/jpeg', materialId: 'power_of_attorney' });
    const consentSha = withConsent.checklist.find((c) => c.materialId === 'power_of_attorney')!.blobSha256!;
    const form = await issueDocument(issueDeps, clerk, { caseId: opened.id, docType: 'application_form' });
    const formText = await pdfText(await store.readPdf({ sha256: form.sha256, number: form.number }));
    expect(formText).toContain('代办人声明');
    expect(formText).toContain(`代办人陈小红（证件号码${agent.idNumber.slice(0, 4)}**********${agent.idNumber.slice(14)}，与申请人关系：子女）受申请人${APPLICANT.name}`);
    expect(formText).toContain('帮办人员周敏在场协助');
    expect(formText).toContain(`授权委托书留存于本办件材料，其SHA-256摘要为${consentSha.slice(0, 32)}`);
  });

  it('is not offered for an item without a form', async () => {
    const caseId = await openAndAccept(env.world, clerk, ITEMS.certificate);
    await expectCode(issueDocument(issueDeps, clerk, { caseId, docType: 'application_form' }), 'DOCUMENT_TYPE_NOT_OFFERED');
  });
});

describe('printDocument and approveReprint', () => {
  let number: string;
  let caseId: string;
  const printCounter = async () => env.world.redis.hGetAll(`doc:print:${number}`);
  const tokens = async () => env.world.redis.keys('doc:printtoken:*');

  beforeAll(async () => {
    caseId = await openAndAccept(env.world, clerk, ITEMS.pension);
    number = (await issueDocument(issueDeps, clerk, { caseId, docType: 'receipt' })).number;
  });

  it('hands a token only to the counter of the case, approves a reprint only for the issuing clerk, and records each step in the case', async () => {
    const print = new PrintDocument(printDeps);
    await expectCode(print.requestToken(anonymous, number), 'UNAUTHENTICATED');
    await expectCode(print.requestToken(HUOQIU_COUNTER, number), 'FORBIDDEN');
    await expectCode(print.requestToken(clerk, number), 'FORBIDDEN');
    await expectCode(print.requestToken(WUJIANG_COUNTER, 'RVW-341522-20990101-000001'), 'DOCUMENT_NOT_FOUND');
    // Nothing counted, no token minted, nothing in the case's print log.
    expect(await printCounter()).toEqual({});
    expect(await tokens()).toEqual([]);
    expect((await env.world.service.getCase(caseId)).documents[0]?.printLog ?? []).toEqual([]);

    const { token } = await print.requestToken(WUJIANG_COUNTER, number);
    const loaded = await print.load(token);
    expect(loaded.record.number).toBe(number);
    expect(await print.confirm(WUJIANG_COUNTER, number, token)).toMatchObject({ printed: 1, allowed: 1 });
    // The documents package's own refusal (DocumentError): the edge maps it to the same wire code.
    await expect(print.requestToken(WUJIANG_COUNTER, number)).rejects.toMatchObject({ name: 'DocumentError', code: 'REPRINT_NOT_APPROVED' });

    // A reprint: not the counter, not another clerk of the item — the issuing clerk.
    await expectCode(approveReprint(printDeps, WUJIANG_COUNTER, number, {}), 'FORBIDDEN');
    await expectCode(approveReprint(printDeps, otherClerk, number, {}), 'FORBIDDEN');
    expect(await printCounter()).toMatchObject({ printed: '1' });
    expect((await printCounter()).allowed).toBeUndefined();
    expect(await approveReprint(printDeps, clerk, number, { reason: '打印机卡纸' })).toEqual({ available: 1 });

    const log = (await env.world.service.getCase(caseId)).documents[0]?.printLog ?? [];
    expect(log.map((e) => [e.event, e.by])).toEqual([
      ['print_token_issued', 'wujiang-kyth-01'],
      ['printed', 'wujiang-kyth-01'],
      ['reprint_approved', clerk.kind === 'staff' ? clerk.staffId : ''],
    ]);
  });
});
