import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentService, FontCache, HttpTimestamper, type IssuedDocument } from '@rvw/documents';
import { createDocumentsEnv, type DocumentsEnv } from './support/env';
import { ISSUED_AT, PUBLIC_ORIGIN, SAMPLE_INPUTS } from './support/fixtures';
import { pdfsig } from './support/popplerTools';
import { startTsaResponder } from './support/tsaResponder';

const run = promisify(execFile);
const TIMESTAMP_TOKEN_OID = '1.2.840.113549.1.9.16.2.14';

let env: DocumentsEnv;
let tsa: Awaited<ReturnType<typeof startTsaResponder>>;
let issued: IssuedDocument;

beforeAll(async () => {
  env = await createDocumentsEnv();
  tsa = await startTsaResponder(env.pkiDir);
  const service = await DocumentService.create({
    fontCache: await FontCache.load(),
    signers: env.signers,
    store: env.store,
    publicOrigin: PUBLIC_ORIGIN,
    clock: () => ISSUED_AT,
    timestamper: new HttpTimestamper(tsa.url, { timeoutMs: 5000 }),
  });
  issued = await service.issue(SAMPLE_INPUTS.payment_certificate);
});
afterAll(async () => {
  await tsa?.close();
  await env?.dispose();
});

function signerInfoOf(bytes: Uint8Array): pkijs.SignerInfo {
  const text = Buffer.from(bytes).toString('latin1');
  const m = /\/ByteRange \[(\d+) (\d+) (\d+) (\d+)/.exec(text) as RegExpExecArray;
  const der = Buffer.from(text.slice(Number(m[2]) + 1, Number(m[3]) - 1), 'hex');
  return new pkijs.SignedData({ schema: new pkijs.ContentInfo({ schema: asn1js.fromBER(der).result }).content }).signerInfos[0] as pkijs.SignerInfo;
}

describe('RFC 3161 signature timestamp (PAdES-B-T)', () => {
  it('asked the local openssl TSA once', () => {
    expect(tsa.requests).toBe(1);
  });

  it('carries the token as the id-aa-signatureTimeStampToken unsigned attribute, over the signature value', () => {
    const info = signerInfoOf(issued.bytes);
    const attribute = info.unsignedAttrs?.attributes.find((a) => a.type === TIMESTAMP_TOKEN_OID);
    expect(attribute).toBeDefined();
    const token = new pkijs.SignedData({ schema: new pkijs.ContentInfo({ schema: attribute?.values[0] }).content });
    expect(token.encapContentInfo.eContentType).toBe('1.2.840.113549.1.9.16.1.4');
    const tst = pkijs.TSTInfo.fromBER(token.encapContentInfo.eContent?.getValue() as ArrayBuffer);
    const imprint = createHash('sha256').update(info.signature.valueBlock.valueHexView).digest('hex');
    expect(Buffer.from(tst.messageImprint.hashedMessage.valueBlock.valueHexView).toString('hex')).toBe(imprint);
    expect(tst.policy).toBe('1.2.156.9999.1');
  });

  it('is a token openssl ts -verify accepts against the dev CA', async () => {
    const info = signerInfoOf(issued.bytes);
    const attribute = info.unsignedAttrs?.attributes.find((a) => a.type === TIMESTAMP_TOKEN_OID);
    const file = path.join(env.dir, 'token.der');
    await writeFile(file, Buffer.from(attribute?.values[0]?.toBER() as ArrayBuffer));
    const imprint = createHash('sha256').update(info.signature.valueBlock.valueHexView).digest('hex');
    const { stdout } = await run('openssl', ['ts', '-verify', '-token_in', '-in', file, '-digest', imprint, '-CAfile', path.join(env.pkiDir, 'ca.pem'), '-untrusted', tsa.certFile]);
    expect(stdout).toContain('Verification: OK');
  });

  it('is reported by our verifier, and pdfsig still validates the signature', async () => {
    const verdict = await env.verify(issued.bytes);
    expect(verdict).toMatchObject({ valid: true, reason: 'OK', timestamp: { tsa: 'RVW Development TSA', trusted: true } });
    expect(Math.abs(new Date(verdict.timestamp?.time as string).getTime() - Date.now())).toBeLessThan(120_000);
    const file = path.join(env.dir, 'stamped.pdf');
    await writeFile(file, issued.bytes);
    const report = await pdfsig(file, env.nssDir);
    expect(report.signatureValid && report.certificateTrusted && report.totalDocumentSigned, report.raw).toBe(true);
  });

  // Every nonce the random source can produce must be a request OpenSSL accepts: a first byte of
  // 0x00 once made a non-minimal DER INTEGER, and the TSA refused it (status 2, 1 in 256 issues).
  it.each([
    ['0x00 then a low byte', [0x00, 0x01]],
    ['0x00 then a high byte', [0x00, 0xff]],
    ['0x80', [0x80, 0x00]],
    ['0xff', [0xff, 0xff]],
  ])('is granted whatever the random nonce starts with (%s)', async (_label, head) => {
    const timestamper = new HttpTimestamper(tsa.url, {
      timeoutMs: 5000,
      randomBytes: (size) => Uint8Array.from({ length: size }, (_, i) => head[i] ?? 0x5a),
    });
    const token = await timestamper.timestamp(createHash('sha256').update(`nonce ${head.join(',')}`).digest());
    expect(token.byteLength).toBeGreaterThan(500);
  });

  it('fails the issue with TIMESTAMP_FAILED when the TSA is unreachable', async () => {
    const service = await DocumentService.create({
      signers: env.signers,
      store: env.store,
      publicOrigin: PUBLIC_ORIGIN,
      clock: () => ISSUED_AT,
      timestamper: new HttpTimestamper('http://127.0.0.1:9/tsa', { timeoutMs: 2000 }),
    });
    await expect(service.issue(SAMPLE_INPUTS.receipt)).rejects.toMatchObject({ code: 'TIMESTAMP_FAILED' });
  });
});
