import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifyRoutes } from '@rvw/signaling/http/documents/verifyRoutes';
import { type IssuedDocument, type VerifyVerdict } from '@rvw/documents';
import { createDocumentsEnv, type DocumentsEnv } from './support/env';
import { SAMPLE_INPUTS } from './support/fixtures';
import { startHttpServer } from './support/httpServer';
import { pdfsig } from './support/popplerTools';

let env: DocumentsEnv;
let issued: IssuedDocument;
let server: Awaited<ReturnType<typeof startHttpServer>>;

beforeAll(async () => {
  env = await createDocumentsEnv();
  issued = await env.service.issue(SAMPLE_INPUTS.payment_certificate);
  server = await startHttpServer(createVerifyRoutes({ store: env.store, verify: env.verify }));
});
afterAll(async () => {
  await server?.close();
  await env?.dispose();
});

async function postVerify(bytes: Uint8Array): Promise<VerifyVerdict> {
  const response = await fetch(`${server.url}/verify`, { method: 'POST', headers: { 'content-type': 'application/pdf' }, body: new Uint8Array(bytes) });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { ok: boolean; data: VerifyVerdict };
  expect(body.ok).toBe(true);
  return body.data;
}

/** Hex offset of the ECDSA signature value inside /Contents. */
function signatureHexOffset(bytes: Uint8Array): number {
  const text = Buffer.from(bytes).toString('latin1');
  const m = /\/ByteRange \[(\d+) (\d+) (\d+) (\d+)/.exec(text) as RegExpExecArray;
  const der = Buffer.from(text.slice(Number(m[2]) + 1, Number(m[3]) - 1), 'hex');
  const signedData = new pkijs.SignedData({ schema: new pkijs.ContentInfo({ schema: asn1js.fromBER(der).result }).content });
  const signature = Buffer.from((signedData.signerInfos[0] as pkijs.SignerInfo).signature.valueBlock.valueHexView).toString('hex');
  const at = text.indexOf(signature, Number(m[2]));
  expect(at).toBeGreaterThan(Number(m[2]));
  expect(at).toBeLessThan(Number(m[3]));
  return at;
}

const tampers: Array<[string, (bytes: Buffer) => Buffer, { pdfsig: 'digest' | 'not-total' | 'signature'; reason: VerifyVerdict['reason'] }]> = [
  [
    'one flipped byte inside a signed range',
    (bytes) => {
      const copy = Buffer.from(bytes);
      // The page width in /MediaBox: a harmless visible change that keeps the file parseable.
      const at = copy.indexOf('595.28') + 5;
      const ranges = /\/ByteRange \[(\d+) (\d+)/.exec(copy.toString('latin1')) as RegExpExecArray;
      expect(at).toBeGreaterThan(0);
      expect(at < Number(ranges[2]) || at > Number(ranges[2]) + 16386).toBe(true);
      copy[at] = '9'.charCodeAt(0);
      return copy;
    },
    { pdfsig: 'digest', reason: 'DIGEST_MISMATCH' },
  ],
  ['bytes appended after %%EOF', (bytes) => Buffer.concat([bytes, Buffer.from('\n% appended after signing\n')]), { pdfsig: 'not-total', reason: 'NOT_TOTAL_DOCUMENT' }],
  [
    'a corrupted signature byte inside /Contents',
    (bytes) => {
      const copy = Buffer.from(bytes);
      // Flip a hex digit in the middle of the ECDSA r/s integers (DER structure stays intact).
      const at = signatureHexOffset(bytes) + 24;
      copy[at] = copy[at] === 0x30 ? 0x31 : 0x30;
      return copy;
    },
    { pdfsig: 'signature', reason: 'SIGNATURE_INVALID' },
  ],
];

describe('tampered documents', () => {
  it('the untouched document is valid for all three verifiers', async () => {
    const file = path.join(env.dir, 'original.pdf');
    await writeFile(file, issued.bytes);
    const report = await pdfsig(file, env.nssDir);
    expect(report.signatureValid && report.totalDocumentSigned && report.certificateTrusted, report.raw).toBe(true);
    expect((await env.verify(issued.bytes)).valid).toBe(true);
    expect(await postVerify(issued.bytes)).toMatchObject({ valid: true, reason: 'OK', number: issued.number });
  });

  describe.each(tampers)('%s', (name, tamper, expected) => {
    let bytes: Buffer;
    beforeAll(() => {
      bytes = tamper(Buffer.from(issued.bytes));
    });

    it('is reported invalid by pdfsig', async () => {
      const file = path.join(env.dir, `${name.replace(/\W+/g, '-')}.pdf`);
      await writeFile(file, bytes);
      const report = await pdfsig(file, env.nssDir);
      if (expected.pdfsig === 'not-total') {
        expect(report.raw).toContain('Not total document signed');
        expect(report.totalDocumentSigned).toBe(false);
      } else {
        expect(report.signatureValid, report.raw).toBe(false);
        expect(report.raw).toContain(expected.pdfsig === 'digest' ? 'Digest Mismatch' : 'Signature is Invalid');
      }
    });

    it('is reported invalid by verifyPdf', async () => {
      expect(await env.verify(bytes)).toMatchObject({ valid: false, reason: expected.reason });
    });

    it('is reported invalid by POST /verify', async () => {
      expect(await postVerify(bytes)).toMatchObject({ valid: false, reason: expected.reason });
    });
  });
});
