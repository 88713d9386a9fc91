import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOAD_BUDGET, PrintTokens, TOKEN_BUDGET, type IssuedDocument, type PrintEvent } from '@rvw/documents';
import type { CaseFacts } from '@rvw/signaling/auth/policy';
import type { Principal } from '@rvw/signaling/auth/Principal';
import { createPrintRoutes } from '@rvw/signaling/http/documents/printRoutes';
import { RedisPrintLedger } from '@rvw/signaling/store/RedisPrintLedger';
import { createDocumentsEnv, type DocumentsEnv } from './support/env';
import { SAMPLE_INPUTS } from './support/fixtures';
import { startHttpServer } from './support/httpServer';

let env: DocumentsEnv;
let server: Awaited<ReturnType<typeof startHttpServer>>;
let printTokens: PrintTokens;
const events: PrintEvent[] = [];

// Test auth: the principal is named by a header; the real node resolves the session/device. The
// policy decides as in production, on the facts of the documents' case: opened by counter-7 of
// 昆山, held by clerk-1 of 霍邱 (who issued every sample document).
const ITEMS = [...new Set(Object.values(SAMPLE_INPUTS).map((input) => input.item.code))];
const CASE: CaseFacts = { servingRegion: '341522', applicantRegion: '320583', counterId: 'counter-7', itemCode: ITEMS[0]!, clerkId: 'clerk-1' };
function resolvePrincipal(req: { headers: Record<string, string | string[] | undefined> }): Promise<Principal> {
  const header = (name: string) => { const v = req.headers[name]; return Array.isArray(v) ? v[0] : v; };
  const counter = header('x-test-counter');
  if (counter) return Promise.resolve({ kind: 'counter', counterId: counter, hallId: 'hall-1', regionCode: '320583', name: '昆山市跨域通办窗口' });
  const clerk = header('x-test-clerk');
  if (clerk) return Promise.resolve({ kind: 'staff', role: 'clerk', staffId: clerk, name: '李四', regionCode: '341522', itemCodes: ITEMS });
  return Promise.resolve({ kind: 'anonymous' });
}

beforeAll(async () => {
  env = await createDocumentsEnv();
  printTokens = new PrintTokens({ ledger: new RedisPrintLedger(env.redis), ttlSeconds: 60 });
  server = await startHttpServer(
    createPrintRoutes({
      resolvePrincipal,
      documents: env.store,
      printTokens,
      caseFacts: (caseId) => Promise.resolve({ ...CASE, caseId }),
      recordPrint: async (e) => void events.push(e),
      log: { warn: () => undefined },
      clock: () => new Date(),
    }),
  );
});
afterAll(async () => {
  await server?.close();
  await env?.dispose();
});

async function call(method: string, path: string, headers: Record<string, string> = {}, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const type = response.headers.get('content-type') ?? '';
  if (type.startsWith('application/pdf')) return { status: response.status, pdf: new Uint8Array(await response.arrayBuffer()), body: undefined as never };
  return { status: response.status, body: (await response.json()) as { ok: boolean; data?: Record<string, unknown>; error?: { code: string; message: string } }, pdf: undefined };
}
const counter = { 'x-test-counter': 'counter-7' };
const requestToken = async (number: string) => call('POST', `/api/documents/${number}/print-token`, counter);

describe('printing', () => {
  let doc: IssuedDocument;
  beforeAll(async () => {
    doc = await env.service.issue(SAMPLE_INPUTS.payment_certificate);
  });

  const load = (token: string) => call('GET', `/api/print/${token}`);
  const confirm = (number: string, token: string, headers: Record<string, string> = counter) => call('POST', `/api/documents/${number}/print-confirm`, headers, { token });

  it('counts a print only when the counter confirms a loaded token, once per token, and a second print only after the issuing clerk approves', async () => {
    const first = await requestToken(doc.number);
    expect(first.status).toBe(201);
    const token = first.body.data?.token as string;
    expect(first.body.data).toMatchObject({ reprint: false, url: `/api/print/${token}` });

    // Confirming before the PDF was loaded is no print.
    const early = await confirm(doc.number, token);
    expect(early.status).toBe(410);
    expect(early.body.error?.code).toBe('PRINT_TOKEN_INVALID');

    const loaded = await load(token);
    expect(loaded.status).toBe(200);
    expect(createHash('sha256').update(loaded.pdf as Uint8Array).digest('hex')).toBe(doc.sha256);
    // A token loads once.
    const reloaded = await load(token);
    expect(reloaded.status).toBe(410);
    expect(reloaded.body.error?.code).toBe('PRINT_TOKEN_INVALID');
    // Loading is not printing.
    expect(await printTokens.status(doc.number)).toMatchObject({ printed: 0, pendingLoads: 1 });
    expect(events.filter((e) => e.number === doc.number).map((e) => e.type)).toEqual(['print_token_issued']);

    // Another counter cannot confirm (nor burn) this counter's token.
    const stranger = await confirm(doc.number, token, { 'x-test-counter': 'counter-8' });
    expect(stranger.status).toBe(403);
    expect(stranger.body.error?.code).toBe('FORBIDDEN');

    const printed = await confirm(doc.number, token);
    expect(printed.status).toBe(200);
    expect(printed.body.data).toMatchObject({ printed: 1, allowed: 1, pendingLoads: 0 });
    // One confirmed print per token.
    const twice = await confirm(doc.number, token);
    expect(twice.status).toBe(410);
    expect(twice.body.error?.code).toBe('PRINT_TOKEN_INVALID');

    const second = await requestToken(doc.number);
    expect(second.status).toBe(409);
    expect(second.body.error?.code).toBe('REPRINT_NOT_APPROVED');

    const notIssuer = await call('POST', `/api/documents/${doc.number}/reprint-approval`, { 'x-test-clerk': 'clerk-2' }, {});
    expect(notIssuer.status).toBe(403);
    expect(notIssuer.body.error?.code).toBe('FORBIDDEN');
    const anonymous = await call('POST', `/api/documents/${doc.number}/reprint-approval`, {}, {});
    expect(anonymous.body.error?.code).toBe('UNAUTHENTICATED');

    const approval = await call('POST', `/api/documents/${doc.number}/reprint-approval`, { 'x-test-clerk': 'clerk-1' }, { reason: '打印机卡纸' });
    expect(approval.status).toBe(200);
    // Approving again before the reprint still allows only one.
    await call('POST', `/api/documents/${doc.number}/reprint-approval`, { 'x-test-clerk': 'clerk-1' }, {});

    const reprintToken = await requestToken(doc.number);
    expect(reprintToken.status).toBe(201);
    expect(reprintToken.body.data?.reprint).toBe(true);
    const reprint = reprintToken.body.data?.token as string;
    expect((await load(reprint)).status).toBe(200);
    expect((await confirm(doc.number, reprint)).body.data).toMatchObject({ printed: 2, allowed: 2 });

    const third = await requestToken(doc.number);
    expect(third.body.error?.code).toBe('REPRINT_NOT_APPROVED');

    const types = events.filter((e) => e.number === doc.number).map((e) => e.type);
    expect(types).toEqual(['print_token_issued', 'printed', 'reprint_approved', 'reprint_approved', 'print_token_issued', 'printed']);
    expect(events.find((e) => e.type === 'printed')).toMatchObject({ caseId: 'C20261123-0042', actor: { kind: 'counter', counterId: 'counter-7' }, details: { printCount: 1 } });
  });

  it('lets the counter reload a PDF that failed to show a few times, then needs the clerk: loads are no free copies', async () => {
    const other = await env.service.issue(SAMPLE_INPUTS.completion_notice);
    for (let i = 0; i < LOAD_BUDGET; i++) {
      const t = await requestToken(other.number);
      expect(t.status).toBe(201);
      expect((await load(t.body.data?.token as string)).status).toBe(200);
    }
    const refused = await requestToken(other.number);
    expect(refused.status).toBe(409);
    expect(refused.body.error?.code).toBe('PRINT_LOAD_LIMIT');
    expect(await printTokens.status(other.number)).toMatchObject({ printed: 0, pendingLoads: LOAD_BUDGET });
    // The clerk's approval gives a fresh budget, and still only one print.
    expect((await call('POST', `/api/documents/${other.number}/reprint-approval`, { 'x-test-clerk': 'clerk-1' }, {})).body.data).toEqual({ available: 1 });
    const t = (await requestToken(other.number)).body.data?.token as string;
    expect((await load(t)).status).toBe(200);
    expect((await confirm(other.number, t)).body.data).toMatchObject({ printed: 1, allowed: 1 });
  });

  it('refuses an endless stream of unused tokens (each is an audit event), until a print or an approval', async () => {
    const other = await env.service.issue(SAMPLE_INPUTS.receipt);
    for (let i = 0; i < TOKEN_BUDGET; i++) expect((await requestToken(other.number)).status).toBe(201);
    const refused = await requestToken(other.number);
    expect(refused.status).toBe(409);
    expect(refused.body.error?.code).toBe('PRINT_LOAD_LIMIT');
    expect(events.filter((e) => e.number === other.number && e.type === 'print_token_issued')).toHaveLength(TOKEN_BUDGET);
    await call('POST', `/api/documents/${other.number}/reprint-approval`, { 'x-test-clerk': 'clerk-1' }, {});
    expect((await requestToken(other.number)).status).toBe(201);
  });

  it('hands out one load for concurrent fetches of a token, and a token confirms only its own document', async () => {
    const other = await env.service.issue(SAMPLE_INPUTS.receipt);
    const a = (await requestToken(other.number)).body.data?.token as string;
    const fetches = await Promise.all([load(a), load(a), load(a)]);
    expect(fetches.map((f) => f.status).sort()).toEqual([200, 410, 410]);
    const wrongDoc = await confirm(doc.number, a);
    expect(wrongDoc.status).toBe(403);
    expect((await confirm(other.number, a)).status).toBe(200);
  });

  it('serves the PDF framable by our own pages only, while other answers stay unframable', async () => {
    const other = await env.service.issue(SAMPLE_INPUTS.payment_certificate);
    const t = (await requestToken(other.number)).body.data?.token as string;
    const response = await fetch(`${server.url}/api/print/${t}`);
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'self'");
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });

  it('records the counter print report and validates it', async () => {
    const ok = await call('POST', `/api/documents/${doc.number}/print-report`, counter, { outcome: 'success' });
    expect(ok.status).toBe(200);
    expect(ok.body.data).toMatchObject({ printed: 2, allowed: 2, reportedSuccess: 1 });
    const failed = await call('POST', `/api/documents/${doc.number}/print-report`, counter, { outcome: 'failure', reason: '缺纸' });
    expect(failed.body.data).toMatchObject({ reportedFailure: 1 });
    expect(events.at(-1)).toMatchObject({ type: 'print_reported', details: { outcome: 'failure', reason: '缺纸' } });
    const bad = await call('POST', `/api/documents/${doc.number}/print-report`, counter, { outcome: 'maybe' });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe('BAD_REQUEST');
    const anonymous = await call('POST', `/api/documents/${doc.number}/print-report`, {}, { outcome: 'success' });
    expect(anonymous.status).toBe(401);
  });

  it('answers unknown documents and malformed tokens with stable codes', async () => {
    const missing = await requestToken('RVW-341522-20261123-999999');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ ok: false, error: { code: 'DOCUMENT_NOT_FOUND', message: expect.any(String) } });
    expect((await requestToken('..%2F..%2Fetc')).body.error?.code).toBe('DOCUMENT_NOT_FOUND');
    expect((await call('GET', '/api/print/not-a-token')).body.error?.code).toBe('PRINT_TOKEN_INVALID');
    expect((await call('GET', `/api/print/${'A'.repeat(32)}`)).body.error?.code).toBe('PRINT_TOKEN_INVALID');
  });

  it('expires tokens after their TTL', async () => {
    const doc2 = await env.service.issue(SAMPLE_INPUTS.completion_notice);
    const token = (await requestToken(doc2.number)).body.data?.token as string;
    expect(await env.redis.ttl(`doc:printtoken:${token}`)).toBeGreaterThan(50);
    await env.redis.del(`doc:printtoken:${token}`); // what expiry does
    expect((await call('GET', `/api/print/${token}`)).body.error?.code).toBe('PRINT_TOKEN_INVALID');
  });
});
