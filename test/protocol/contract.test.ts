import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ERROR_CODES, isErrorCode, type ErrorCode } from '@rvw/protocol/errors';
import { REQUEST_TYPES, type RequestType } from '@rvw/protocol/messages';
import type { CaseViewResponse, IssuedDocumentResponse, JoinResponse, Responses, ResponseOf } from '@rvw/protocol/responses';
import { SignalClient, SignalError } from '@rvw/protocol/client/SignalClient';
import { CASE_STATE_LABELS, CASE_STATES, DOCUMENT_TYPE_LABELS, DOCUMENT_TYPES } from '@rvw/protocol';
import { CaseState } from '@rvw/protocol/caseRecord';
import { DocumentType } from '@rvw/protocol/catalog';
import { AppError } from '@rvw/signaling/errors/AppError';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('@rvw/protocol: one contract', () => {
  it('maps every request type to exactly one response type (checked by the compiler, listed here)', () => {
    expectTypeOf<keyof Responses>().toEqualTypeOf<RequestType>();
    expectTypeOf<ResponseOf<'case.get'>>().toEqualTypeOf<CaseViewResponse>();
    expectTypeOf<ResponseOf<'document.issue'>>().toEqualTypeOf<IssuedDocumentResponse>();
    expectTypeOf<ResponseOf<'desk.join'>>().toEqualTypeOf<JoinResponse>();
    // The client's request resolves to the mapped type without the call site naming it.
    expectTypeOf<ReturnType<SignalClient['request']>>().toEqualTypeOf<Promise<ResponseOf<RequestType>>>();
    const request = null as unknown as SignalClient['request'];
    expectTypeOf(request<'produce'>).returns.resolves.toEqualTypeOf<{ producerId: string }>();
    expect([...REQUEST_TYPES].sort()).toEqual(
      ['session.join', 'desk.join', 'session.link', 'session.leave', 'session.end', 'getRouterRtpCapabilities', 'createWebRtcTransport', 'openDataChannel', 'connectTransport', 'produce', 'closeProducer', 'consume', 'resumeConsumer', 'restartIce', 'queue.join', 'queue.leave', 'queue.subscribe', 'queue.accept', 'clerk.availability', 'case.transfer', 'clerk.colleagues', 'case.get', 'case.update', 'case.transition', 'material.capture', 'material.waive', 'document.issue', 'chat.send', 'signature.submit', 'rating.submit', 'doc.marks', 'call.mode', 'identity.card', 'identity.photo', 'identity.verify', 'form.set', 'ping', 'cluster.nodes'].sort(),
    );
  });

  it('has one error-code union: AppError and the client take only its codes', () => {
    expectTypeOf<AppError['code']>().toEqualTypeOf<ErrorCode>();
    expectTypeOf<SignalError['code']>().toEqualTypeOf<ErrorCode | 'TIMEOUT' | 'DISCONNECTED'>();
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    expect(isErrorCode('CASE_NOT_FOUND')).toBe(true);
    expect(isErrorCode('NO_SUCH_CODE')).toBe(false);
  });

  it('documents every error code in docs/protocol.md', async () => {
    const doc = await readFile(path.join(ROOT, 'docs/protocol.md'), 'utf8');
    const missing = ERROR_CODES.filter((c) => !doc.includes(`\`${c}\``));
    expect(missing).toEqual([]);
  });

  it('every code the server and the documents package construct is in the union (source scan)', async () => {
    const { readdir } = await import('node:fs/promises');
    const files: string[] = [];
    const walk = async (dir: string) => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else if (p.endsWith('.ts')) files.push(p);
      }
    };
    for (const pkg of ['signaling/src', 'documents/src', 'sfu/src']) await walk(path.join(ROOT, pkg));
    const known = new Set<string>(ERROR_CODES);
    const unknown = new Set<string>();
    for (const f of files) {
      const src = await readFile(f, 'utf8');
      for (const m of src.matchAll(/new (?:AppError|SfuError|DocumentError)\(\s*'([A-Z][A-Z0-9_]+)'/g)) if (!known.has(m[1]!)) unknown.add(`${path.relative(ROOT, f)}: ${m[1]}`);
    }
    expect([...unknown]).toEqual([]);
    expect(files.length).toBeGreaterThan(50);
  });

  it('the vocabulary is the single source of the schemas and the labels', () => {
    expect(CaseState.options).toEqual([...CASE_STATES]);
    expect(DocumentType.options).toEqual([...DOCUMENT_TYPES]);
    expect(Object.keys(CASE_STATE_LABELS).sort()).toEqual([...CASE_STATES].sort());
    expect(Object.keys(DOCUMENT_TYPE_LABELS)).toEqual([...DOCUMENT_TYPES]);
    expect(DOCUMENT_TYPE_LABELS.payment_certificate).toBe('参保缴费证明');
  });

  it('the browser entry carries no runtime schema (pages do not bundle zod through it)', async () => {
    const index = await readFile(path.join(ROOT, 'protocol/src/index.ts'), 'utf8');
    for (const line of index.split('\n').filter((l) => /^export \* from/.test(l))) {
      const target = line.match(/'(.+)'/)![1]!.replace(/\.js$/, '.ts');
      const src = await readFile(path.join(ROOT, 'protocol/src', target), 'utf8');
      expect(src, target).not.toMatch(/from 'zod'/);
    }
  });
});
