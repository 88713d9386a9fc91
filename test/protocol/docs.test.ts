import { readFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ClientRequestSchema, MAX_FRAME_BYTES, REQUEST_TYPES, parseClientFrame } from '@rvw/protocol/messages';
import { withCheckDigit } from '../harness/idNumber';

// docs/protocol.md is the contract client developers read: every request type and every error code
// the socket edge can answer must be on it. And the edge itself (parseClientFrame) is checked here
// as a unit: bad frames → stable codes, every request schema strict.

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (rel: string) => readFile(path.join(ROOT, rel), 'utf8');

/** The text of one `## heading` section of a markdown document. */
function section(md: string, heading: string): string {
  const start = md.indexOf(`\n## ${heading}`);
  if (start < 0) throw new Error(`no "## ${heading}" section`);
  const next = md.indexOf('\n## ', start + 1);
  return md.slice(start, next < 0 ? undefined : next);
}

/** Backticked names in the first cell of each table row of a section. */
function firstColumnNames(sectionText: string): string[] {
  return sectionText
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .flatMap((l) => [...(l.split('|')[1] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] as string));
}

/** Error codes as production code spells them: AppError('X', …), SfuError('X', …), notFound('X', …), code: 'X'. */
function codesIn(source: string): string[] {
  const patterns = [/\b(?:AppError|SfuError)\(\s*'([A-Z][A-Z0-9_]+)'/g, /\bnotFound\(\s*'([A-Z][A-Z0-9_]+)'/g, /\bcode:\s*'([A-Z][A-Z0-9_]+)'/g];
  return [...new Set(patterns.flatMap((re) => [...source.matchAll(re)].map((m) => m[1] as string)))];
}

async function codesInFiles(files: string[]): Promise<Map<string, string[]>> {
  const byCode = new Map<string, string[]>();
  for (const f of files) for (const c of codesIn(await read(f))) byCode.set(c, [...(byCode.get(c) ?? []), f]);
  return byCode;
}

async function tsFilesUnder(dir: string): Promise<string[]> {
  return (await readdir(path.join(ROOT, dir))).filter((f) => f.endsWith('.ts')).map((f) => `${dir}/${f}`);
}

/** Documented codes: backticked SCREAMING_CASE words anywhere in the given documents. */
async function documentedCodes(files: string[]): Promise<Set<string>> {
  const text = (await Promise.all(files.filter((f) => existsSync(path.join(ROOT, f))).map(read))).join('\n');
  return new Set([...text.matchAll(/`([A-Z][A-Z0-9_]{3,})`/g)].map((m) => m[1] as string));
}

describe('docs/protocol.md documents the protocol', () => {
  it('every request type appears as `type` in the request table, and the table lists nothing else', async () => {
    const documented = firstColumnNames(section(await read('docs/protocol.md'), 'Requests'));
    expect(documented.length).toBeGreaterThan(0);
    expect([...REQUEST_TYPES].filter((t) => !documented.includes(t)), 'request types missing from docs/protocol.md').toEqual([]);
    expect(documented.filter((t) => !REQUEST_TYPES.has(t)), 'documented request types that do not exist').toEqual([]);
  });

  it('every server notification type appears in the notification table', async () => {
    const source = await read('protocol/src/messages.ts');
    const union = source.slice(source.indexOf('export type ServerNotification'), source.indexOf('/** Any frame the server sends. */'));
    const types = [...union.matchAll(/\{ type: '([a-z.]+)'/g)].map((m) => m[1] as string);
    expect(types.length).toBeGreaterThan(10);
    const documented = firstColumnNames(section(await read('docs/protocol.md'), 'Notifications'));
    expect(types.filter((t) => !documented.includes(t)), 'notifications missing from docs/protocol.md').toEqual([]);
  });

  it('every error code the socket edge can send is in the error code table', async () => {
    // The socket edge: frame parsing, dispatch, media handlers, calls and the SFU, session join (its
    // authorizeJoin lives in the media wiring), the policy and the upgrade check.
    const files = [
      'protocol/src/messages.ts',
      'signaling/src/ws/SignalingServer.ts',
      'signaling/src/ws/Connection.ts',
      'signaling/src/ws/Hub.ts',
      ...(await tsFilesUnder('signaling/src/ws/handlers')),
      ...(await tsFilesUnder('signaling/src/calls')),
      'signaling/src/auth/policy.ts',
      'signaling/src/auth/createUpgradeAuthenticator.ts',
      ...(await tsFilesUnder('sfu/src')),
    ];
    const byCode = await codesInFiles(files);
    const node = await read('signaling/src/app/mediaWiring.ts');
    const joinStart = node.indexOf('authorizeJoin:');
    expect(joinStart, 'authorizeJoin in mediaWiring.ts').toBeGreaterThan(0);
    const joinBlock = node.slice(joinStart, node.indexOf('\n    },', joinStart));
    for (const c of codesIn(joinBlock)) byCode.set(c, [...(byCode.get(c) ?? []), 'signaling/src/app/mediaWiring.ts (authorizeJoin)']);

    // The scan must at least find what we know the edge sends.
    const known = [
      'MALFORMED_JSON', 'UNKNOWN_TYPE', 'INVALID_MESSAGE', 'RATE_LIMITED', 'BINARY_NOT_SUPPORTED', 'NOT_IN_SESSION',
      'TRANSPORT_NOT_FOUND', 'PRODUCER_NOT_FOUND', 'CONSUMER_NOT_FOUND', 'CANNOT_CONSUME', 'DUPLICATE_SOURCE',
      'INVALID_MEDIA_PARAMETERS', 'SESSION_CLOSED', 'UNAUTHENTICATED', 'FORBIDDEN', 'ORIGIN_NOT_ALLOWED', 'INTERNAL',
    ];
    expect(known.filter((c) => !byCode.has(c)), 'codes the scanner failed to find').toEqual([]);

    const table = new Set(firstColumnNames(section(await read('docs/protocol.md'), 'Error codes')).flatMap((cell) => cell.split(/[\s,/]+/)));
    const missing = [...byCode].filter(([c]) => !table.has(c)).map(([c, where]) => `${c} (${[...new Set(where)].join(', ')})`);
    expect(missing, 'error codes sent over the socket but missing from the table in docs/protocol.md').toEqual([]);
  });

  it('every case and queue rule code a request can get is documented (protocol.md or the data-model.md it points to)', async () => {
    const files = [...(await tsFilesUnder('signaling/src/cases')), ...(await tsFilesUnder('signaling/src/queue')), 'signaling/src/catalog/parseInput.ts'];
    const byCode = await codesInFiles(files);
    expect(byCode.has('CASE_VERSION_CONFLICT')).toBe(true);
    const documented = await documentedCodes(['docs/protocol.md', 'docs/data-model.md']);
    const missing = [...byCode].filter(([c]) => !documented.has(c)).map(([c, where]) => `${c} (${where.map((w) => path.basename(w)).join(', ')})`);
    expect(missing, 'codes answered to WebSocket requests but documented nowhere').toEqual([]);
  });
});

// ── the edge as a unit ─────────────────────────────────────────────────────────────────────────

const ID_NUMBER = withCheckDigit('32058419580312123');

/** A minimal valid request of every type (fields only). */
const SAMPLES: Record<string, Record<string, unknown>> = {
  'session.join': { sessionId: 'case-1', peerId: 'tab-1' },
  'desk.join': { peerId: 'tab-1' },
  'session.link': { sessionId: 'case-1' },
  openDataChannel: { transportId: 't-1' },
  'session.leave': {},
  'session.end': {},
  getRouterRtpCapabilities: {},
  createWebRtcTransport: { direction: 'send' },
  connectTransport: { transportId: 't-1', dtlsParameters: { fingerprints: [{ algorithm: 'sha-256', value: 'AB:CD' }] } },
  produce: { transportId: 't-1', kind: 'audio', rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000 }] }, source: 'mic' },
  closeProducer: { producerId: 'p-1' },
  consume: { transportId: 't-1', producerId: 'p-1', rtpCapabilities: {} },
  resumeConsumer: { consumerId: 'c-1' },
  restartIce: { transportId: 't-1' },
  'queue.join': { partnershipId: 'wujiang-huoqiu', itemCode: '000117005000', applicant: { name: '陈建国', idNumber: ID_NUMBER } },
  'queue.leave': { caseId: 'case-1' },
  'queue.subscribe': {},
  'queue.accept': { caseId: 'case-1' },
  'clerk.availability': {},
  'case.transfer': { caseId: 'case-1', toStaffId: 'clerk-2', note: '材料已齐，请出具证明' },
  'clerk.colleagues': { caseId: 'case-1' },
  'case.get': { caseId: 'case-1' },
  'case.update': { caseId: 'case-1', expectedVersion: 1, fields: { note: '补充说明' } },
  'case.transition': { caseId: 'case-1', expectedVersion: 1, to: 'completed' },
  'material.capture': { caseId: 'case-1', mime: 'image/png', dataBase64: 'iVBORw0K' },
  'material.waive': { caseId: 'case-1', materialId: 'household_register', note: '三日内补交', deadline: '2099-12-31' },
  'document.issue': { caseId: 'case-1', docType: 'receipt' },
  'chat.send': { caseId: 'case-1', text: '您好' },
  'signature.submit': { caseId: 'case-1', pngBase64: 'iVBORw0K' },
  'rating.submit': { caseId: 'case-1', target: 'clerk', score: 5 },
  'doc.marks': { caseId: 'case-1', marks: [{ points: [[0.25, 0.4], [0.5, 0.42], [0.75, 0.4]] }] },
  'call.mode': { caseId: 'case-1', proposed: 'audio_stills', measured: { availableKbps: 180, lossPct: 12.5, rttMs: 420 } },
  'identity.card': { caseId: 'case-1', card: { name: '陈建国', idNumber: '320584195803121239', photoBase64: '/9j/4AAQSkZJRgABAQ==', sample: true } },
  'identity.photo': { caseId: 'case-1' },
  'identity.verify': { caseId: 'case-1', result: 'match' },
  'form.set': { caseId: 'case-1', key: 'bank_name', value: '中国农业银行霍邱县支行', expectedRev: 2 },
  ping: {},
  'cluster.nodes': {},
};

const frame = (type: string, fields: Record<string, unknown>, id: number | string = 7) => JSON.stringify({ id, type, ...fields });

describe('parseClientFrame: bad frames → stable codes', () => {
  const BAD: { name: string; raw: string; code: string; id: number | string | null }[] = [
    { name: 'not JSON', raw: '{"id":1,', code: 'MALFORMED_JSON', id: null },
    { name: 'empty', raw: '', code: 'MALFORMED_JSON', id: null },
    { name: 'NaN literal', raw: '{"id":NaN,"type":"ping"}', code: 'MALFORMED_JSON', id: null },
    { name: 'single quotes', raw: "{'id':1,'type':'ping'}", code: 'MALFORMED_JSON', id: null },
    { name: 'array', raw: '[]', code: 'UNKNOWN_TYPE', id: null },
    { name: 'number', raw: '1', code: 'UNKNOWN_TYPE', id: null },
    { name: 'null', raw: 'null', code: 'UNKNOWN_TYPE', id: null },
    { name: 'string', raw: '"ping"', code: 'UNKNOWN_TYPE', id: null },
    { name: 'missing type', raw: '{"id":3}', code: 'UNKNOWN_TYPE', id: 3 },
    { name: 'unknown type', raw: '{"id":"a1","type":"drop.tables"}', code: 'UNKNOWN_TYPE', id: 'a1' },
    { name: 'type differs in case', raw: '{"id":4,"type":"PING"}', code: 'UNKNOWN_TYPE', id: 4 },
    { name: 'type with trailing space', raw: '{"id":5,"type":"ping "}', code: 'UNKNOWN_TYPE', id: 5 },
    { name: 'type is an Object.prototype member', raw: '{"id":6,"type":"hasOwnProperty"}', code: 'UNKNOWN_TYPE', id: 6 },
    { name: 'type is an array', raw: '{"id":8,"type":["ping"]}', code: 'UNKNOWN_TYPE', id: 8 },
    { name: 'wrong field type', raw: frame('session.join', { sessionId: 42, peerId: 'p' }), code: 'INVALID_MESSAGE', id: 7 },
    { name: 'missing field', raw: frame('case.get', {}), code: 'INVALID_MESSAGE', id: 7 },
    { name: 'unknown field', raw: frame('ping', { extra: 1 }), code: 'INVALID_MESSAGE', id: 7 },
    { name: 'too-long id field', raw: frame('case.get', { caseId: 'x'.repeat(129) }), code: 'INVALID_MESSAGE', id: 7 },
    { name: 'id is an object', raw: '{"id":{},"type":"ping"}', code: 'INVALID_MESSAGE', id: null },
    { name: 'id is null', raw: '{"id":null,"type":"ping"}', code: 'INVALID_MESSAGE', id: null },
    { name: 'id is boolean', raw: '{"id":true,"type":"ping"}', code: 'INVALID_MESSAGE', id: null },
    { name: 'id is negative', raw: '{"id":-3,"type":"ping"}', code: 'INVALID_MESSAGE', id: null },
    { name: 'id is 65 chars', raw: `{"id":"${'i'.repeat(65)}","type":"ping"}`, code: 'INVALID_MESSAGE', id: null },
    { name: 'missing id', raw: '{"type":"ping"}', code: 'INVALID_MESSAGE', id: null },
    { name: 'top-level __proto__', raw: '{"id":9,"type":"ping","__proto__":{"x":1}}', code: 'INVALID_MESSAGE', id: 9 },
    { name: 'nested __proto__ in a strict object', raw: frame('queue.join', { ...SAMPLES['queue.join'], applicant: JSON.parse(`{"name":"陈","idNumber":"${ID_NUMBER}","__proto__":{"x":1}}`) }), code: 'INVALID_MESSAGE', id: 7 },
    { name: 'ID number with a wrong check digit', raw: frame('queue.join', { ...SAMPLES['queue.join'], applicant: { name: '陈建国', idNumber: '320584195803121230' } }), code: 'INVALID_MESSAGE', id: 7 },
    { name: 'case field name not a field name', raw: frame('case.update', { ...SAMPLES['case.update'], fields: { '1bad': 'x' } }), code: 'INVALID_MESSAGE', id: 7 },
    { name: 'case field value too long', raw: frame('case.update', { ...SAMPLES['case.update'], fields: { note: 'x'.repeat(2001) } }), code: 'INVALID_MESSAGE', id: 7 },
    { name: 'case fields hiding a __proto__ key', raw: `{"id":7,"type":"case.update","caseId":"case-1","expectedVersion":1,"fields":{"note":"ok","__proto__":{"polluted":"yes"}}}`, code: 'INVALID_MESSAGE', id: 7 },
    { name: 'deadline not a date', raw: frame('material.waive', { ...SAMPLES['material.waive'], deadline: 'tomorrow' }), code: 'INVALID_MESSAGE', id: 7 },
    { name: 'score out of range', raw: frame('rating.submit', { ...SAMPLES['rating.submit'], score: 6 }), code: 'INVALID_MESSAGE', id: 7 },
    { name: 'material larger than a frame', raw: frame('material.capture', { ...SAMPLES['material.capture'], dataBase64: 'A'.repeat(MAX_FRAME_BYTES + 4) }), code: 'INVALID_MESSAGE', id: 7 },
  ];

  it.each(BAD)('$name → $code (id $id)', ({ raw, code, id }) => {
    const r = parseClientFrame(raw);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect({ code: r.error.code, id: r.id }).toEqual({ code, id });
    expect(r.error.message.length).toBeGreaterThan(0);
  });

  it('never throws, even on 100 000-deep nesting', () => {
    expect(() => parseClientFrame('['.repeat(100_000) + ']'.repeat(100_000))).not.toThrow();
    expect(() => parseClientFrame(`{"id":1,"type":"ping","x":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`)).not.toThrow();
  });

  it('error messages stay short whatever the frame contains (no echo of attacker-sized keys or values)', () => {
    const huge = 'k'.repeat(100_000);
    const frames: Record<string, string> = {
      'huge type': `{"id":1,"type":"${huge}"}`,
      'huge unknown key': `{"id":1,"type":"ping","${huge}":1}`,
      'huge case field name': `{"id":1,"type":"case.update","caseId":"c","expectedVersion":1,"fields":{"${huge}":"x"}}`,
      'huge chat text': frame('chat.send', { caseId: 'c', text: huge }),
      'huge case id': frame('case.get', { caseId: huge }),
    };
    const lengths = Object.fromEntries(
      Object.entries(frames).map(([name, raw]) => {
        const r = parseClientFrame(raw);
        return [name, r.ok ? 'accepted!' : r.error.message.length <= 300 ? 'short' : `${r.error.message.length} chars`];
      }),
    );
    expect(lengths).toEqual(Object.fromEntries(Object.keys(frames).map((k) => [k, 'short'])));
  });
});

describe('every request type has a strict schema', () => {
  it('the samples cover exactly REQUEST_TYPES', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual([...REQUEST_TYPES].sort());
  });

  it('every schema in the union is strict (unknown keys are never stripped silently)', () => {
    const loose = ClientRequestSchema.options.filter((o) => (o.def.catchall as { def?: { type?: string } } | undefined)?.def?.type !== 'never').map((o) => o.shape.type.value);
    expect(loose).toEqual([]);
  });

  it.each(Object.entries(SAMPLES))('%s: a valid frame parses; an extra field, a missing field or a wrong id is INVALID_MESSAGE', (type, fields) => {
    const ok = parseClientFrame(frame(type, fields));
    expect(ok.ok, JSON.stringify(ok)).toBe(true);
    if (ok.ok) expect(ok.request).toEqual({ id: 7, type, ...fields });

    const extra = parseClientFrame(frame(type, { ...fields, unexpected: true }));
    expect(extra).toMatchObject({ ok: false, id: 7, error: { code: 'INVALID_MESSAGE' } });

    for (const key of Object.keys(fields)) {
      const { [key]: _dropped, ...rest } = fields;
      expect(parseClientFrame(frame(type, rest)), `${type} without ${key}`).toMatchObject({ ok: false, id: 7, error: { code: 'INVALID_MESSAGE' } });
    }

    expect(parseClientFrame(JSON.stringify({ type, ...fields }))).toMatchObject({ ok: false, id: null, error: { code: 'INVALID_MESSAGE' } });
  });
});
