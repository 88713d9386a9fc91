import { rm, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifyRoutes } from '@rvw/signaling/http/documents/verifyRoutes';
import { type IssuedDocument } from '@rvw/documents';
import { launchChromium } from '../harness/browser';
import { createDocumentsEnv, type DocumentsEnv } from './support/env';
import { SAMPLE_INPUTS } from './support/fixtures';
import { startHttpServer } from './support/httpServer';

let env: DocumentsEnv;
let server: Awaited<ReturnType<typeof startHttpServer>>;
let issued: IssuedDocument;

beforeAll(async () => {
  env = await createDocumentsEnv();
  issued = await env.service.issue(SAMPLE_INPUTS.payment_certificate);
  // A generous budget here; the per-IP limit has its own server below.
  server = await startHttpServer(createVerifyRoutes({ store: env.store, verify: env.verify, rateLimit: { windowMs: 60_000, limit: 10_000 } }));
});
afterAll(async () => {
  await server?.close();
  await env?.dispose();
});

describe('GET /verify/:handle', () => {
  it('shows validity, issuer, issue time, SHA-256 and title in Chinese, and no personal data', async () => {
    expect(issued.record.handle).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const response = await fetch(`${server.url}/verify/${issued.record.handle}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await response.text();
    expect(html).toContain('lang="zh-CN"');
    expect(html).toContain('✔ 有效');
    expect(html).toContain('参保缴费证明');
    expect(html).toContain('霍邱县社会保险事业管理中心');
    expect(html).toContain('2026年11月23日 09:30');
    expect(html).toContain(issued.sha256);
    // The human number stays on the page, to compare with the paper.
    expect(html).toContain(issued.number);
    expect(html).not.toContain('演示数据');
    expect(html).toContain('<form id="upload" data-endpoint="/verify">');
    for (const personal of ['张三丰', '张*丰', '3415**********1234', '身份']) expect(html).not.toContain(personal);
  });

  it('answers 404 for unknown or malformed handles, echoing nothing', async () => {
    const unknown = await fetch(`${server.url}/verify/AAAAAAAAAAAAAAAAAAAAAA`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('未找到该文书');
    const hostile = await fetch(`${server.url}/verify/%3Cscript%3Ealert(1)%3C%2Fscript%3E`);
    expect(hostile.status).toBe(404);
    const html = await hostile.text();
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('alert(1)');
  });

  it('opens nothing by sequential number: enumerating a day of numbers finds no document', async () => {
    const more = await Promise.all([env.service.issue(SAMPLE_INPUTS.receipt), env.service.issue(SAMPLE_INPUTS.receipt)]);
    for (const doc of [issued, ...more]) expect(doc.number).toMatch(/^RVW-341522-20261123-\d{6}$/);
    let found = 0;
    for (let seq = 1; seq <= 40; seq++) {
      const response = await fetch(`${server.url}/verify/RVW-341522-20261123-${String(seq).padStart(6, '0')}`);
      if (response.status !== 404) found++;
      await response.arrayBuffer();
    }
    expect(found).toBe(0);
    // Each document still opens by its own handle, and handles share nothing guessable.
    for (const doc of more) expect((await fetch(`${server.url}/verify/${doc.record.handle}`)).status).toBe(200);
    expect(new Set([issued, ...more].map((d) => d.record.handle)).size).toBe(3);
  });

  it('says 演示数据 for a document built from demonstration data', async () => {
    const sample = await env.service.issue({ ...SAMPLE_INPUTS.payment_certificate, sample: true });
    expect(sample.record.sample).toBe(true);
    const html = await (await fetch(`${server.url}/verify/${sample.record.handle}`)).text();
    expect(html).toContain('演示数据');
    expect(html).toContain('不作为正式证明');
    expect(html).not.toContain('✔ 有效　');
    // Checking the file in hand says so too.
    const upload = await fetch(`${server.url}/verify`, { method: 'POST', headers: { 'content-type': 'application/pdf' }, body: new Uint8Array(sample.bytes) });
    expect(await upload.json()).toMatchObject({ ok: true, data: { valid: true, sample: true } });
  });

  it('limits look-ups per client IP with a Chinese page', async () => {
    const limited = await startHttpServer(createVerifyRoutes({ store: env.store, verify: env.verify, rateLimit: { windowMs: 60_000, limit: 5 } }));
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) {
        const response = await fetch(`${limited.url}/verify/${i < 5 ? issued.record.handle : 'AAAAAAAAAAAAAAAAAAAAAA'}`);
        statuses.push(response.status);
        if (i === 6) expect(await response.text()).toContain('核验请求过于频繁');
        else await response.arrayBuffer();
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      // Even the right handle is refused once the budget is spent.
      expect((await fetch(`${limited.url}/verify/${issued.record.handle}`)).status).toBe(429);
    } finally {
      await limited.close();
    }
  });

  it('shows the stored copy as invalid when the archived file was altered', async () => {
    const other = await env.service.issue(SAMPLE_INPUTS.receipt);
    const altered = Buffer.from(other.bytes);
    altered[altered.indexOf('595.28') + 5] = '9'.charCodeAt(0);
    await writeFile(env.store.pathFor(other.sha256), altered);
    const html = await (await fetch(`${server.url}/verify/${other.record.handle}`)).text();
    expect(html).toContain('✘ 无效');
    expect(html).toContain('文件内容在签名后被修改');
  });

  it('says so when the archived file is missing', async () => {
    const other = await env.service.issue(SAMPLE_INPUTS.missing_notice);
    await rm(env.store.pathFor(other.sha256));
    const response = await fetch(`${server.url}/verify/${other.record.handle}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('存档文件缺失');
  });

  it('serves its script and stylesheet itself', async () => {
    const script = await fetch(`${server.url}/verify/assets/verify.js`);
    expect(script.headers.get('content-type')).toContain('javascript');
    expect(await script.text()).toContain("'content-type': 'application/pdf'");
    expect((await fetch(`${server.url}/verify/assets/verify.css`)).headers.get('content-type')).toContain('text/css');
  });
});

describe('upload form in a browser', () => {
  it('posts the chosen file and shows the verdict (Chromium)', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      await page.goto(`${server.url}/verify/${issued.record.handle}`);
      const tampered = Buffer.concat([Buffer.from(issued.bytes), Buffer.from('\n% appended\n')]);
      await page.setInputFiles('input[type=file]', { name: 'doc.pdf', mimeType: 'application/pdf', buffer: tampered });
      await page.click('button[type=submit]');
      await page.waitForSelector('#upload-result.invalid');
      expect(await page.textContent('#upload-result')).toContain('签名未覆盖整个文件');
      await page.setInputFiles('input[type=file]', { name: 'doc.pdf', mimeType: 'application/pdf', buffer: Buffer.from(issued.bytes) });
      await page.click('button[type=submit]');
      await page.waitForSelector('#upload-result.valid');
      expect(await page.textContent('#upload-result')).toContain(issued.number);
      if (process.env.RVW_SCREENSHOT) await page.screenshot({ path: process.env.RVW_SCREENSHOT, fullPage: true });
    } finally {
      await browser.close();
    }
  });
});

describe('POST /verify', () => {
  it('refuses bodies that are not application/pdf', async () => {
    const response = await fetch(`${server.url}/verify`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expect(response.status).toBe(415);
    expect(await response.json()).toEqual({ ok: false, error: { code: 'DOCUMENT_INVALID_UPLOAD', message: expect.any(String) } });
  });

  it('refuses uploads over 10 MB', async () => {
    const response = await fetch(`${server.url}/verify`, { method: 'POST', headers: { 'content-type': 'application/pdf' }, body: new Uint8Array(10 * 1024 * 1024 + 1) });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('DOCUMENT_TOO_LARGE');
  });

  it('answers non-PDF and unsigned files with a verdict, not an error', async () => {
    const garbage = await fetch(`${server.url}/verify`, { method: 'POST', headers: { 'content-type': 'application/pdf' }, body: 'not a pdf at all' });
    expect(await garbage.json()).toMatchObject({ ok: true, data: { valid: false, reason: 'NOT_PDF' } });
    const unsigned = await fetch(`${server.url}/verify`, { method: 'POST', headers: { 'content-type': 'application/pdf' }, body: '%PDF-1.7\n%%EOF\n' });
    expect(await unsigned.json()).toMatchObject({ ok: true, data: { valid: false, reason: 'NO_SIGNATURE' } });
  });

  it('reports a validly signed file that is not in the registry as NOT_REGISTERED', async () => {
    const issuedElsewhere = await env.service.issue(SAMPLE_INPUTS.completion_notice);
    await env.redis.del(`doc:sha:${issuedElsewhere.sha256}`);
    const response = await fetch(`${server.url}/verify`, { method: 'POST', headers: { 'content-type': 'application/pdf' }, body: new Uint8Array(issuedElsewhere.bytes) });
    expect(await response.json()).toMatchObject({ ok: true, data: { valid: false, reason: 'NOT_REGISTERED', signer: '霍邱县政务服务管理局 (341522)' } });
  });
});
