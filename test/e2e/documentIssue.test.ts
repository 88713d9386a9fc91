import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../auth/apiClient';
import { pdfsig, pdftotext } from '../documents/support/popplerTools';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';
import { WsClient, WsRequestError } from '../harness/wsClient';

const run = promisify(execFile);

// 统一窗口出件 over the real node: the 霍邱 clerk issues a signed 参保缴费证明 over the WebSocket,
// the 吴江 counter is told at once, prints it with a single-use token, and the print is recorded in
// the case (only once confirmed). The PDF it gets is verified by pdfsig against the node's CA.
describe('document issuing and printing at the counter', () => {
  let t: TestNode;
  let counterWs: WsClient;
  let clerkWs: WsClient;
  let counterHttp: ApiClient;
  let clerkHttp: ApiClient;
  let caseId: string;
  let number: string;
  let sha256: string;
  let tmp: string;
  const idNumber = withCheckDigit('32058419700512432');

  beforeAll(async () => {
    t = await startTestNode();
    const clerk = await t.clerk('341522', ['000117013000'], '霍邱社保 李娜');
    const counter = await t.counter('wujiang-kyth-01');
    counterHttp = counter.api;
    clerkHttp = clerk.api;
    counterWs = await WsClient.connect(t.origin, counter.cookie);
    clerkWs = await WsClient.connect(t.origin, clerk.cookie);
    const opened = await counterWs.request('queue.join', {
      partnershipId: 'wujiang-huoqiu',
      itemCode: '000117013000',
      applicant: { name: '周秀兰', idNumber },
    });
    caseId = opened.id;
    await clerkWs.request('queue.accept', { caseId });
    tmp = await mkdtemp(path.join(os.tmpdir(), 'rvw-doc-e2e-'));
  });

  afterAll(async () => {
    counterWs?.close();
    clerkWs?.close();
    await t?.dispose();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('the clerk issues; the counter is notified at once; the record links the document', async () => {
    const issuedAt = Date.now();
    const doc = await clerkWs.request('document.issue', { caseId, docType: 'payment_certificate' });
    number = doc.number;
    sha256 = doc.sha256;
    expect(number).toMatch(/^RVW-341522-\d{8}-\d+$/);
    // "At once": pushed to the counter, which never asks. The bound allows for the PDF being built
    // and signed on a loaded 2-core CI machine (a sanity bound; bench:documents measures the time).
    const note = await counterWs.next((n) => n.type === 'document.issued' && n.caseId === caseId, 10_000);
    expect(note).toMatchObject({ type: 'document.issued', number, docType: 'payment_certificate' });
    expect(Date.now() - issuedAt).toBeLessThan(10_000);
    const record = await t.node.cases.getCase(caseId);
    // Built from the demo social-insurance stand-in: the record says it is sample data.
    expect(record.documents).toEqual([expect.objectContaining({ number, type: 'payment_certificate', sha256, sample: true })]);
    expect(record.number).toMatch(/^341522-\d{8}-\d{4}$/);
    // An item that does not issue this type is refused with its code.
    await expect(clerkWs.request('document.issue', { caseId, docType: 'completion_notice' })).rejects.toMatchObject({ code: 'DOCUMENT_TYPE_NOT_OFFERED' });
    // The counter cannot issue.
    await expect(counterWs.request('document.issue', { caseId, docType: 'payment_certificate' })).rejects.toBeInstanceOf(WsRequestError);
  });

  it('prints once with a single-use token; the PDF is the issued one and pdfsig trusts it', async () => {
    const tok = await counterHttp.call<{ token: string }>('POST', `/api/documents/${number}/print-token`, {});
    expect(tok.status, JSON.stringify(tok.error)).toBe(201);
    const res = await fetch(`${t.origin}/api/print/${tok.data.token}`, { headers: { cookie: counterHttp.cookieHeader } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/pdf');
    const pdf = Buffer.from(await res.arrayBuffer());
    expect(createHash('sha256').update(pdf).digest('hex')).toBe(sha256);

    const file = path.join(tmp, `${number}.pdf`);
    await writeFile(file, pdf);
    const nssDir = path.join(tmp, 'nss');
    await run('mkdir', ['-p', nssDir]);
    await run('certutil', ['-N', '--empty-password', '-d', `sql:${nssDir}`]);
    await run('certutil', ['-A', '-n', 'rvw-ca', '-t', 'CT,C,C', '-i', path.join(t.node.configPkiDir, 'ca.pem'), '-d', `sql:${nssDir}`]);
    const report = await pdfsig(file, nssDir);
    expect(report, report.raw).toMatchObject({ signatureValid: true, certificateTrusted: true, totalDocumentSigned: true, subFilter: 'ETSI.CAdES.detached' });
    const text = await pdftotext(file);
    expect(text).toContain('参保缴费证明');
    expect(text).toContain('周秀兰');
    // Only the masked ID number is printed.
    expect(text).toContain(`${idNumber.slice(0, 4)}**********${idNumber.slice(-4)}`);
    expect(text).not.toContain(idNumber);
    // Demo data says so on its face, and lists employers of the serving region (霍邱), not 苏州.
    expect(text.replace(/[ \u3000]+/g, '')).toContain('样本·演示数据，不作为正式证明');
    expect(text).toMatch(/霍邱县某|六安市某/);
    expect(text).not.toContain('苏州');
    // The human case number is printed, the internal id is not.
    expect(text).toContain((await t.node.cases.getCase(caseId)).number);
    expect(text).not.toContain(caseId);

    // Loading is not printing: the counter confirms once the print dialog opened.
    const confirmed = await counterHttp.call('POST', `/api/documents/${number}/print-confirm`, { token: tok.data.token });
    expect(confirmed.status, JSON.stringify(confirmed.error)).toBe(200);

    // The same token again: refused. A second print without approval: refused.
    const again = await fetch(`${t.origin}/api/print/${tok.data.token}`, { headers: { cookie: counterHttp.cookieHeader } });
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('PRINT_TOKEN_INVALID');
    const second = await counterHttp.call('POST', `/api/documents/${number}/print-token`, {});
    expect(second.error?.code).toBe('REPRINT_NOT_APPROVED');

    // The physical print is reported and lands in the case (print log + audit chain).
    const report2 = await counterHttp.call('POST', `/api/documents/${number}/print-report`, { outcome: 'success' });
    expect(report2.status, JSON.stringify(report2.error)).toBeLessThan(300);
    await expect
      .poll(async () => (await t.node.cases.getCase(caseId)).documents[0]?.printLog?.map((e) => e.event), { timeout: 15_000 })
      .toEqual(expect.arrayContaining(['print_token_issued', 'printed', 'print_reported']));
    const audit = await t.node.cases.audit(caseId);
    expect(audit.verdict.ok).toBe(true);
    expect(audit.events.map((e) => e.action)).toEqual(expect.arrayContaining(['document.attached', 'document.printed', 'document.print_reported']));
  });

  it('a reprint needs the issuing clerk; then it works once', async () => {
    const byCounter = await counterHttp.call('POST', `/api/documents/${number}/reprint-approval`, {});
    expect([401, 403]).toContain(byCounter.status);
    const approved = await clerkHttp.call('POST', `/api/documents/${number}/reprint-approval`, { reason: '打印机卡纸' });
    expect(approved.status, JSON.stringify(approved.error)).toBeLessThan(300);
    const tok = await counterHttp.call<{ token: string; reprint: boolean }>('POST', `/api/documents/${number}/print-token`, {});
    expect(tok.status).toBe(201);
    expect(tok.data.reprint).toBe(true);
    const pdf = await fetch(`${t.origin}/api/print/${tok.data.token}`, { headers: { cookie: counterHttp.cookieHeader } });
    expect(pdf.status).toBe(200);
    expect((await counterHttp.call('POST', `/api/documents/${number}/print-confirm`, { token: tok.data.token })).status).toBe(200);
    const third = await counterHttp.call('POST', `/api/documents/${number}/print-token`, {});
    expect(third.error?.code).toBe('REPRINT_NOT_APPROVED');
  });

  it('the public verification page and upload check the document and reveal no personal data beyond the print', async () => {
    // The QR code's handle opens the page; the printed, sequential number does not.
    expect((await fetch(`${t.origin}/verify/${number}`)).status).toBe(404);
    const handle = (await t.node.documentStore.get(number))?.handle ?? '';
    expect(handle).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const page = await fetch(`${t.origin}/verify/${handle}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(number);
    expect(html).toContain(sha256);
    expect(html).toContain('演示数据');
    expect(html).not.toContain(idNumber);
    const pdf = await t.node.documentStore.readPdf({ sha256, number });
    const verdict = await fetch(`${t.origin}/verify`, { method: 'POST', headers: { 'content-type': 'application/pdf' }, body: Buffer.from(pdf) });
    const body = (await verdict.json()) as { ok: boolean; data: { valid: boolean; number?: string } };
    expect(body.data).toMatchObject({ valid: true, number });
    const tampered = Buffer.from(pdf);
    const at = Math.floor(tampered.length / 3);
    tampered.writeUInt8(tampered.readUInt8(at) ^ 0x01, at);
    const bad = (await (await fetch(`${t.origin}/verify`, { method: 'POST', headers: { 'content-type': 'application/pdf' }, body: tampered })).json()) as { data: { valid: boolean } };
    expect(bad.data.valid).toBe(false);
  });
});
