import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES } from '@rvw/protocol/messages';
import { startTestNode, type TestNode } from '../harness/testNode';
import {
  FAKE_DTLS,
  HUOQIU,
  ITEM_CERT,
  ITEM_X,
  PARTNERSHIP,
  WUJIANG,
  applicant,
  caseSnapshot,
  openAcceptedCase,
  opusRtpParameters,
} from './support/fixtures';
import { httpRequest, type Method } from './support/http';
import { WsClient, refusedUpgrade, wsUrlOf, type WsResponse } from './support/wsClient';
import type { RequestPayload } from '@rvw/protocol/messages';

// Hostile input against one real node (real Redis, real mediasoup worker): whatever arrives on a
// socket or an HTTP body is answered with a stable error code from docs/protocol.md, nothing is
// written, other users' calls are untouched and the server keeps serving a bystander throughout.

/** Error answers must stay small whatever the input (no echo of attacker-sized data). */
const MAX_ERROR_FRAME_CHARS = 2048;

let t: TestNode;
/** The two calls: A (吴江 counter ↔ 霍邱 clerk) and B (霍邱 counter ↔ 吴江 clerk). */
let counterA: WsClient;
let clerkA: WsClient;
let counterB: WsClient;
let clerkB: WsClient;
/** A second socket of call A's counter: it owns case A, so only validation can stop its frames. */
let attacker: WsClient;
/** An unrelated signed-in user who keeps pinging. */
let bystander: WsClient;
let counterACookie: string;
let caseA: string;
let caseB: string;
/** Media object ids of both calls. */
const A = { counterSend: '', counterRecv: '', counterProducer: '', clerkSend: '', clerkProducer: '' };
const B = { counterSend: '', counterRecv: '', counterProducer: '', clerkRecv: '', clerkConsumer: '' };
let countsB: unknown;
let rtpCapabilities: RequestPayload<'consume'>['rtpCapabilities'];

beforeAll(async () => {
  t = await startTestNode();
  const cA = await t.counter('wujiang-kyth-01');
  const kA = await t.clerk(HUOQIU, [ITEM_X], '霍邱窗口 甲');
  const cB = await t.counter('huoqiu-kyth-01');
  const kB = await t.clerk(WUJIANG, [ITEM_CERT], '吴江窗口 乙');
  counterACookie = `rvw_dev=${cA.cookie.value}`;
  counterA = await WsClient.connect(t.origin, counterACookie);
  attacker = await WsClient.connect(t.origin, counterACookie);
  clerkA = await WsClient.connect(t.origin, `rvw_sid=${kA.cookie.value}`);
  counterB = await WsClient.connect(t.origin, `rvw_dev=${cB.cookie.value}`);
  clerkB = await WsClient.connect(t.origin, `rvw_sid=${kB.cookie.value}`);
  bystander = await WsClient.connect(t.origin, t.admin.cookieHeader);

  caseA = await openAcceptedCase(counterA, clerkA, ITEM_X);
  caseB = await openAcceptedCase(counterB, clerkB, ITEM_CERT);

  // Call A: both sides in the media session, each producing audio.
  const joined = await counterA.call('session.join', { sessionId: caseA, peerId: 'counter-a' });
  rtpCapabilities = joined.rtpCapabilities as RequestPayload<'consume'>['rtpCapabilities'];
  await clerkA.call('session.join', { sessionId: caseA, peerId: 'clerk-a' });
  A.counterSend = (await counterA.call('createWebRtcTransport', { direction: 'send' })).id;
  A.counterRecv = (await counterA.call('createWebRtcTransport', { direction: 'recv' })).id;
  A.clerkSend = (await clerkA.call('createWebRtcTransport', { direction: 'send' })).id;
  A.counterProducer = (await counterA.call('produce', { transportId: A.counterSend, kind: 'audio', rtpParameters: opusRtpParameters(1111), source: 'mic' })).producerId;
  A.clerkProducer = (await clerkA.call('produce', { transportId: A.clerkSend, kind: 'audio', rtpParameters: opusRtpParameters(2222), source: 'mic' })).producerId;

  // Call B: counter produces, clerk consumes (paused), so B has transports, a producer and a consumer.
  await counterB.call('session.join', { sessionId: caseB, peerId: 'counter-b' });
  await clerkB.call('session.join', { sessionId: caseB, peerId: 'clerk-b' });
  B.counterSend = (await counterB.call('createWebRtcTransport', { direction: 'send' })).id;
  B.counterRecv = (await counterB.call('createWebRtcTransport', { direction: 'recv' })).id;
  B.clerkRecv = (await clerkB.call('createWebRtcTransport', { direction: 'recv' })).id;
  B.counterProducer = (await counterB.call('produce', { transportId: B.counterSend, kind: 'audio', rtpParameters: opusRtpParameters(3333), source: 'mic' })).producerId;
  B.clerkConsumer = (await clerkB.call('consume', { transportId: B.clerkRecv, producerId: B.counterProducer, rtpCapabilities })).id;
  countsB = t.node.registry.get(caseB)?.counts();
  // From here on call B's sockets must receive nothing about their peers or producers.
  for (const c of [counterB, clerkB]) c.inbox.length = 0;
  expect(countsB).toEqual({ peers: 2, transports: 3, producers: 1, consumers: 1 });
});

afterAll(async () => {
  for (const c of [counterA, clerkA, counterB, clerkB, attacker, bystander]) await c?.close();
  await t?.dispose();
});

/** The bystander still gets its ping answered. */
async function bystanderAlive(): Promise<void> {
  const pong = await bystander.request('ping');
  expect(pong.ok).toBe(true);
}

/** Raw frames that build themselves from the case ids once they exist. */
interface HostileFrame {
  name: string;
  frame: () => string | Buffer;
  /** The id the response must carry (null when the frame could not be read that far). */
  id: number | string | null;
  code: string;
}

const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const big = (n: number) => 'x'.repeat(n);
const version = async () => (await t.node.cases.getCase(caseA)).version;
let v = 0; // case A's version, read before each frame (frames must not change it)
const update = (fieldsJson: string, id: number) => `{"id":${id},"type":"case.update","caseId":"${caseA}","expectedVersion":${v},"fields":${fieldsJson}}`;

const FRAMES: HostileFrame[] = [
  // Not JSON at all.
  { name: 'truncated JSON', frame: () => '{"id":1,"type":"ping"', id: null, code: 'MALFORMED_JSON' },
  { name: 'empty text frame', frame: () => '', id: null, code: 'MALFORMED_JSON' },
  { name: 'plain text', frame: () => 'hello server', id: null, code: 'MALFORMED_JSON' },
  { name: 'JSON with a trailing comma', frame: () => '{"id":1,"type":"ping",}', id: null, code: 'MALFORMED_JSON' },
  // JSON, but not a request object.
  { name: 'a JSON array', frame: () => '[1,2,3]', id: null, code: 'UNKNOWN_TYPE' },
  { name: 'a batch (array of requests)', frame: () => '[{"id":1,"type":"ping"}]', id: null, code: 'UNKNOWN_TYPE' },
  { name: 'a JSON number', frame: () => '42', id: null, code: 'UNKNOWN_TYPE' },
  { name: 'JSON null', frame: () => 'null', id: null, code: 'UNKNOWN_TYPE' },
  { name: 'a JSON string', frame: () => '"ping"', id: null, code: 'UNKNOWN_TYPE' },
  { name: 'JSON true', frame: () => 'true', id: null, code: 'UNKNOWN_TYPE' },
  // Type missing or unknown.
  { name: 'missing type', frame: () => '{"id":11}', id: 11, code: 'UNKNOWN_TYPE' },
  { name: 'unknown type', frame: () => '{"id":12,"type":"admin.shutdown"}', id: 12, code: 'UNKNOWN_TYPE' },
  { name: 'numeric type', frame: () => '{"id":13,"type":42}', id: 13, code: 'UNKNOWN_TYPE' },
  { name: 'a server-only type (response)', frame: () => '{"id":14,"type":"response","ok":true}', id: 14, code: 'UNKNOWN_TYPE' },
  { name: 'a notification type (hello)', frame: () => '{"id":15,"type":"hello"}', id: 15, code: 'UNKNOWN_TYPE' },
  { name: 'type "__proto__"', frame: () => '{"id":16,"type":"__proto__"}', id: 16, code: 'UNKNOWN_TYPE' },
  { name: 'type "constructor"', frame: () => '{"id":17,"type":"constructor"}', id: 17, code: 'UNKNOWN_TYPE' },
  { name: 'type "toString"', frame: () => '{"id":18,"type":"toString"}', id: 18, code: 'UNKNOWN_TYPE' },
  { name: 'a 3 MB type', frame: () => `{"id":19,"type":"${big(3_000_000)}"}`, id: 19, code: 'UNKNOWN_TYPE' },
  // Wrong field types, missing fields, unknown fields (every request schema is strict).
  { name: 'sessionId is a number', frame: () => '{"id":21,"type":"session.join","sessionId":42,"peerId":"p"}', id: 21, code: 'INVALID_MESSAGE' },
  { name: 'expectedVersion is a string', frame: () => update('{"note":"x"}', 22).replace(/"expectedVersion":\d+/, '"expectedVersion":"1"'), id: 22, code: 'INVALID_MESSAGE' },
  { name: 'required field missing', frame: () => '{"id":23,"type":"queue.accept"}', id: 23, code: 'INVALID_MESSAGE' },
  { name: 'enum value out of range', frame: () => '{"id":24,"type":"createWebRtcTransport","direction":"sideways"}', id: 24, code: 'INVALID_MESSAGE' },
  { name: 'extra top-level field', frame: () => '{"id":25,"type":"ping","admin":true}', id: 25, code: 'INVALID_MESSAGE' },
  {
    name: 'extra field in a nested strict object (applicant)',
    frame: () => JSON.stringify({ id: 26, type: 'queue.join', partnershipId: PARTNERSHIP, itemCode: ITEM_X, applicant: { ...applicant(), vip: true } }),
    id: 26,
    code: 'INVALID_MESSAGE',
  },
  { name: 'rating score out of range', frame: () => `{"id":27,"type":"rating.submit","caseId":"${caseA}","target":"clerk","score":99}`, id: 27, code: 'INVALID_MESSAGE' },
  // Request ids that are not ids.
  { name: 'id is an object', frame: () => '{"id":{"$gt":0},"type":"ping"}', id: null, code: 'INVALID_MESSAGE' },
  { name: 'id is an array', frame: () => '{"id":[1],"type":"ping"}', id: null, code: 'INVALID_MESSAGE' },
  { name: 'id is negative', frame: () => '{"id":-1,"type":"ping"}', id: null, code: 'INVALID_MESSAGE' },
  { name: 'id is fractional', frame: () => '{"id":1.5,"type":"ping"}', id: null, code: 'INVALID_MESSAGE' },
  { name: 'id is an empty string', frame: () => '{"id":"","type":"ping"}', id: null, code: 'INVALID_MESSAGE' },
  { name: 'id is a 65-character string', frame: () => `{"id":"${big(65)}","type":"ping"}`, id: null, code: 'INVALID_MESSAGE' },
  { name: 'id missing', frame: () => '{"type":"ping"}', id: null, code: 'INVALID_MESSAGE' },
  // Deep nesting (the JSON parser and the validators must not recurse themselves to death).
  { name: '200 000-deep array in an unknown field', frame: () => `{"id":41,"type":"ping","x":${deep(200_000)}}`, id: 41, code: 'INVALID_MESSAGE' },
  { name: '200 000-deep array as a case field value', frame: () => update(`{"note":${deep(200_000)}}`, 42), id: 42, code: 'INVALID_MESSAGE' },
  { name: '500 000-deep bare array', frame: () => deep(500_000), id: null, code: 'UNKNOWN_TYPE' },
  // Huge strings within the frame limit.
  { name: 'a 3 MB chat line', frame: () => `{"id":51,"type":"chat.send","caseId":"${caseA}","text":"${big(3_000_000)}"}`, id: 51, code: 'INVALID_MESSAGE' },
  { name: 'a 3 MB case field value', frame: () => update(`{"note":"${big(3_000_000)}"}`, 52), id: 52, code: 'INVALID_MESSAGE' },
  { name: 'a 1 MB case id', frame: () => `{"id":53,"type":"case.get","caseId":"${big(1_000_000)}"}`, id: 53, code: 'INVALID_MESSAGE' },
  { name: 'a 3 MB case field NAME', frame: () => update(`{"${big(3_000_000)}":"x"}`, 54), id: 54, code: 'INVALID_MESSAGE' },
  { name: 'a 3 MB unknown top-level key', frame: () => `{"id":55,"type":"ping","${big(3_000_000)}":1}`, id: 55, code: 'INVALID_MESSAGE' },
  // Prototype pollution attempts.
  { name: 'top-level "__proto__"', frame: () => '{"id":61,"type":"ping","__proto__":{"polluted":"yes"}}', id: 61, code: 'INVALID_MESSAGE' },
  { name: 'top-level "constructor"', frame: () => '{"id":62,"type":"ping","constructor":{"prototype":{"polluted":"yes"}}}', id: 62, code: 'INVALID_MESSAGE' },
  {
    name: '"__proto__" inside the applicant',
    frame: () => `{"id":63,"type":"queue.join","partnershipId":"${PARTNERSHIP}","itemCode":"${ITEM_X}","applicant":{"name":"陈","idNumber":"${applicant().idNumber}","__proto__":{"polluted":"yes"}}}`,
    id: 63,
    code: 'INVALID_MESSAGE',
  },
  { name: 'case.update fields {"constructor":{"prototype":…}}', frame: () => update('{"constructor":{"prototype":{"polluted":"yes"}}}', 64), id: 64, code: 'INVALID_MESSAGE' },
  { name: 'case.update fields {"__proto__":{…}}', frame: () => update('{"__proto__":{"polluted":"yes"}}', 65), id: 65, code: 'INVALID_MESSAGE' },
  { name: 'case.update fields {"note":"ok","__proto__":{…}} (smuggled beside a valid field)', frame: () => update('{"note":"ok","__proto__":{"polluted":"yes"}}', 67), id: 67, code: 'INVALID_MESSAGE' },
  { name: 'case.update field name that is not a field name ("1bad")', frame: () => update('{"1bad":"x"}', 68), id: 68, code: 'INVALID_MESSAGE' },
];

describe('hostile WebSocket frames: each answered with its stable code, nothing written, nobody disturbed', () => {
  it.each(FRAMES)('$name → $code', async (f) => {
    v = await version();
    const before = [await caseSnapshot(t, caseA), await caseSnapshot(t, caseB)];
    const res = await attacker.raw(f.frame(), f.id, 20_000);
    expect(res.ok).toBe(false);
    expect(res.error?.code).toBe(f.code);
    // Error frames stay small whatever was sent (no reflection of attacker-sized input).
    expect(JSON.stringify(res).length).toBeLessThan(MAX_ERROR_FRAME_CHARS);
    expect([await caseSnapshot(t, caseA), await caseSnapshot(t, caseB)]).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(attacker.open).toBe(true);
    await bystanderAlive();
  });

  it('a binary frame → BINARY_NOT_SUPPORTED', async () => {
    const res = await attacker.raw(Buffer.from(JSON.stringify({ id: 1, type: 'ping' })), null);
    expect(res.error?.code).toBe('BINARY_NOT_SUPPORTED');
    expect(attacker.open).toBe(true);
    await bystanderAlive();
  });

  it('a frame larger than MAX_FRAME_BYTES closes that socket with 1009; everyone else is served', async () => {
    const victim = await WsClient.connect(t.origin, counterACookie);
    victim.socket.send(`{"id":1,"type":"chat.send","caseId":"${caseA}","text":"${big(MAX_FRAME_BYTES)}"}`);
    expect(await victim.closed()).toBe(1009);
    await bystanderAlive();
    expect((await attacker.request('ping')).ok).toBe(true);
    // A fresh connection of the same counter works.
    const again = await WsClient.connect(t.origin, counterACookie);
    expect((await again.request('ping')).ok).toBe(true);
    await again.close();
  });

  it('a flood beyond the burst → RATE_LIMITED for the excess, every frame answered, the bystander unaffected', async () => {
    const flooder = await WsClient.connect(t.origin, counterACookie);
    // The budget is the principal's (burst 400, 100/s), whatever socket spends it.
    const N = 640;
    const started = Date.now();
    for (let i = 1; i <= N; i++) flooder.socket.send(JSON.stringify({ id: i, type: 'ping' }));
    const answers: WsResponse[] = [];
    while (answers.length < N) answers.push(await flooder.waitFor<WsResponse>((m) => m.type === 'response', 10_000));
    const elapsed = (Date.now() - started) / 1000;
    const limited = answers.filter((a) => !a.ok && a.error?.code === 'RATE_LIMITED');
    const ok = answers.filter((a) => a.ok);
    expect(limited.length + ok.length).toBe(N);
    expect(ok.length).toBeLessThanOrEqual(400 + Math.ceil(100 * elapsed) + 1);
    expect(limited.length).toBeGreaterThanOrEqual(N - 400 - Math.ceil(100 * elapsed) - 1);
    // Another principal is untouched (that the counter's other sockets share the budget is in budgets.test.ts).
    await bystanderAlive();
    // The counter recovers at the sustained rate (enough for the tests that follow).
    await new Promise((r) => setTimeout(r, 2000));
    expect((await flooder.request('ping')).ok).toBe(true);
    expect((await attacker.request('ping')).ok).toBe(true);
    await flooder.close();
  });

  it('Object.prototype was never polluted and case A holds no smuggled field', async () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    const record = await t.node.cases.getCase(caseA);
    expect(Object.keys(record.fields)).not.toContain('__proto__');
    expect(Object.getPrototypeOf(record.fields)).toBe(Object.prototype);
  });
});

describe('hostile media parameters: validation errors, never INTERNAL', () => {
  const nested = (depth: number) => `{"a":${deep(depth)}}`;

  it('produce with a 20 000-deep object inside an encoding → INVALID_MESSAGE / INVALID_MEDIA_PARAMETERS', async () => {
    const rtp = JSON.stringify(opusRtpParameters(4444)).replace('{"ssrc":4444}', `{"ssrc":4444,"x":${nested(20_000)}}`);
    const res = await counterA.raw(`{"id":"deep-enc","type":"produce","transportId":"${A.counterSend}","kind":"audio","source":"face","rtpParameters":${rtp}}`, 'deep-enc');
    expect(res.ok).toBe(false);
    expect(['INVALID_MESSAGE', 'INVALID_MEDIA_PARAMETERS']).toContain(res.error?.code);
    await bystanderAlive();
  });

  it('produce with a 20 000-deep header-extension parameter → INVALID_MESSAGE / INVALID_MEDIA_PARAMETERS', async () => {
    const rtp = JSON.stringify(opusRtpParameters(5555)).replace('"headerExtensions":[]', `"headerExtensions":[{"uri":"urn:x","id":1,"parameters":${nested(20_000)}}]`);
    const res = await counterA.raw(`{"id":"deep-hdr","type":"produce","transportId":"${A.counterSend}","kind":"audio","source":"document","rtpParameters":${rtp}}`, 'deep-hdr');
    expect(res.ok).toBe(false);
    expect(['INVALID_MESSAGE', 'INVALID_MEDIA_PARAMETERS']).toContain(res.error?.code);
    await bystanderAlive();
  });

  it('consume with 20 000-deep RTP capabilities → INVALID_MESSAGE / INVALID_MEDIA_PARAMETERS', async () => {
    const res = await counterA.raw(
      `{"id":"deep-caps","type":"consume","transportId":"${A.counterRecv}","producerId":"${A.clerkProducer}","rtpCapabilities":{"codecs":[${nested(20_000)}]}}`,
      'deep-caps',
    );
    expect(res.ok).toBe(false);
    expect(['INVALID_MESSAGE', 'INVALID_MEDIA_PARAMETERS', 'CANNOT_CONSUME']).toContain(res.error?.code);
    await bystanderAlive();
  });

  it('semantically invalid RTP parameters → INVALID_MEDIA_PARAMETERS', async () => {
    const rtp = opusRtpParameters(6666);
    (rtp.codecs as { mimeType: string }[])[0]!.mimeType = 'audio/NOT-A-CODEC';
    const res = await counterA.request('produce', { transportId: A.counterSend, kind: 'audio', rtpParameters: rtp, source: 'screen' });
    expect(res.error?.code).toBe('INVALID_MEDIA_PARAMETERS');
  });

  it('producing the same source twice → DUPLICATE_SOURCE', async () => {
    const res = await counterA.request('produce', { transportId: A.counterSend, kind: 'audio', rtpParameters: opusRtpParameters(7777), source: 'mic' });
    expect(res.error?.code).toBe('DUPLICATE_SOURCE');
  });

  it('consuming with capabilities that cannot receive the codec → CANNOT_CONSUME', async () => {
    const res = await counterA.request('consume', { transportId: A.counterRecv, producerId: A.clerkProducer, rtpCapabilities: { codecs: [] } });
    expect(res.error?.code).toBe('CANNOT_CONSUME');
  });
});

describe("call A cannot touch call B's media objects (ids of other sessions look unknown)", () => {
  const cases: { name: string; type: string; fields: () => Record<string, unknown>; code: string }[] = [
    { name: "connectTransport on B's transport", type: 'connectTransport', fields: () => ({ transportId: B.counterSend, dtlsParameters: FAKE_DTLS }), code: 'TRANSPORT_NOT_FOUND' },
    { name: "produce on B's transport", type: 'produce', fields: () => ({ transportId: B.counterSend, kind: 'audio', rtpParameters: opusRtpParameters(8888), source: 'screen' }), code: 'TRANSPORT_NOT_FOUND' },
    { name: "consume on B's transport", type: 'consume', fields: () => ({ transportId: B.counterRecv, producerId: A.clerkProducer, rtpCapabilities }), code: 'TRANSPORT_NOT_FOUND' },
    { name: "consume B's producer on an own transport", type: 'consume', fields: () => ({ transportId: A.counterRecv, producerId: B.counterProducer, rtpCapabilities }), code: 'PRODUCER_NOT_FOUND' },
    { name: "restartIce on B's transport", type: 'restartIce', fields: () => ({ transportId: B.clerkRecv }), code: 'TRANSPORT_NOT_FOUND' },
    { name: "resumeConsumer of B's consumer", type: 'resumeConsumer', fields: () => ({ consumerId: B.clerkConsumer }), code: 'CONSUMER_NOT_FOUND' },
    { name: "closeProducer of B's producer", type: 'closeProducer', fields: () => ({ producerId: B.counterProducer }), code: 'PRODUCER_NOT_FOUND' },
    // Same session, other peer: still not "your" object.
    { name: "connectTransport on the clerk's transport (same call)", type: 'connectTransport', fields: () => ({ transportId: A.clerkSend, dtlsParameters: FAKE_DTLS }), code: 'TRANSPORT_NOT_FOUND' },
    { name: "closeProducer of the clerk's producer (same call)", type: 'closeProducer', fields: () => ({ producerId: A.clerkProducer }), code: 'PRODUCER_NOT_FOUND' },
    { name: "consume its own producer", type: 'consume', fields: () => ({ transportId: A.counterRecv, producerId: A.counterProducer, rtpCapabilities }), code: 'PRODUCER_NOT_FOUND' },
  ];

  it.each(cases)('counter A: $name → $code', async (c) => {
    const res = await counterA.request(c.type, c.fields());
    expect(res.ok).toBe(false);
    expect(res.error?.code).toBe(c.code);
  });

  it("clerk A: resumeConsumer / restartIce with B's ids → CONSUMER_NOT_FOUND / TRANSPORT_NOT_FOUND", async () => {
    expect((await clerkA.request('resumeConsumer', { consumerId: B.clerkConsumer })).error?.code).toBe('CONSUMER_NOT_FOUND');
    expect((await clerkA.request('restartIce', { transportId: B.counterSend })).error?.code).toBe('TRANSPORT_NOT_FOUND');
  });

  it('a socket outside any session gets NOT_IN_SESSION for every media request (only the node-wide codec list is open)', async () => {
    expect((await attacker.request('getRouterRtpCapabilities')).ok).toBe(true);
    for (const [type, fields] of [
      ['createWebRtcTransport', { direction: 'send' }],
      ['connectTransport', { transportId: B.counterSend, dtlsParameters: FAKE_DTLS }],
      ['produce', { transportId: B.counterSend, kind: 'audio', rtpParameters: opusRtpParameters(9999), source: 'mic' }],
      ['consume', { transportId: B.clerkRecv, producerId: B.counterProducer, rtpCapabilities }],
      ['resumeConsumer', { consumerId: B.clerkConsumer }],
      ['restartIce', { transportId: B.counterSend }],
      ['closeProducer', { producerId: B.counterProducer }],
      ['session.end', {}],
    ] as const) {
      const res = await attacker.request(type, fields);
      expect(res.error?.code, type).toBe('NOT_IN_SESSION');
    }
  });

  it("session.join of call B's case from call A's counter and clerk → FORBIDDEN; they stay in call A", async () => {
    expect((await counterA.request('session.join', { sessionId: caseB, peerId: 'counter-a' })).error?.code).toBe('FORBIDDEN');
    expect((await counterA.request('session.join', { sessionId: caseB, peerId: 'counter-b' })).error?.code).toBe('FORBIDDEN');
    expect((await clerkA.request('session.join', { sessionId: caseB, peerId: 'clerk-b' })).error?.code).toBe('FORBIDDEN');
    expect((await counterA.request('getRouterRtpCapabilities')).ok).toBe(true);
    expect((await clerkA.request('getRouterRtpCapabilities')).ok).toBe(true);
  });

  it("call B's objects and case record are intact; its sockets were never disturbed", async () => {
    expect(t.node.registry.get(caseB)?.counts()).toEqual(countsB);
    expect(counterB.open && clerkB.open).toBe(true);
    expect(counterB.inbox.filter((m) => m.type === 'peer.joined' || m.type === 'peer.left' || m.type === 'producer.closed')).toEqual([]);
    expect((await clerkB.request('resumeConsumer', { consumerId: B.clerkConsumer })).ok).toBe(true);
    const record = await t.node.cases.getCase(caseB);
    expect(record.state).toBe('in_session');
    await bystanderAlive();
  });
});

describe('hostile WebSocket upgrades', () => {
  it('a foreign Origin → 403 ORIGIN_NOT_ALLOWED', async () => {
    const r = await refusedUpgrade(wsUrlOf(t.origin), { origin: 'https://evil.example', cookie: counterACookie });
    expect(r.status).toBe(403);
    expect(r.body?.error?.code).toBe('ORIGIN_NOT_ALLOWED');
  });

  it('no Origin → 403 ORIGIN_NOT_ALLOWED', async () => {
    const r = await refusedUpgrade(wsUrlOf(t.origin), { cookie: counterACookie });
    expect(r.status).toBe(403);
    expect(r.body?.error?.code).toBe('ORIGIN_NOT_ALLOWED');
  });

  it('a forged session cookie → 401 UNAUTHENTICATED', async () => {
    const r = await refusedUpgrade(wsUrlOf(t.origin), { origin: t.origin, cookie: `rvw_sid=${'A'.repeat(43)}; rvw_dev=${'B'.repeat(43)}` });
    expect(r.status).toBe(401);
    expect(r.body?.error?.code).toBe('UNAUTHENTICATED');
  });

  it('a 64 KB cookie header → refused, server fine', async () => {
    const r = await refusedUpgrade(wsUrlOf(t.origin), { origin: t.origin, cookie: `rvw_sid=${big(64 * 1024)}` });
    expect([401, 431, 0]).toContain(r.status);
    await bystanderAlive();
  });

  it('another path → the socket is dropped', async () => {
    const r = await refusedUpgrade(wsUrlOf(t.origin, '/ws/../admin'), { origin: t.origin, cookie: counterACookie });
    expect(r.status === 0 || r.status >= 400).toBe(true);
    await bystanderAlive();
  });
});

describe('hostile HTTP bodies on the API: 4xx with a stable code, never 5xx', () => {
  const cases: {
    name: string;
    method: Method;
    path: string;
    rawBody: string | Buffer;
    contentType: string;
    headers?: Record<string, string>;
    /** Exact answer where the code is established; otherwise any 4xx with a stable code but INTERNAL. */
    status?: number;
    code?: string;
  }[] = [
    { name: 'malformed JSON to the admin API (auth router)', method: 'POST', path: '/api/admin/invites', rawBody: '{"role":', contentType: 'application/json', status: 400, code: 'BAD_REQUEST' },
    { name: 'malformed JSON to the admin API (catalogue)', method: 'POST', path: '/api/admin/regions', rawBody: '{"code":', contentType: 'application/json', status: 400, code: 'BAD_REQUEST' },
    { name: 'malformed JSON to sign-in', method: 'POST', path: '/api/auth/login/verify', rawBody: '{bad', contentType: 'application/json', status: 400, code: 'BAD_REQUEST' },
    { name: 'malformed JSON to print-report', method: 'POST', path: '/api/documents/ABCDEF12/print-report', rawBody: '{bad', contentType: 'application/json', status: 400, code: 'BAD_REQUEST' },
    { name: 'JSON null body (not an object)', method: 'POST', path: '/api/admin/invites', rawBody: 'null', contentType: 'application/json', status: 400, code: 'BAD_REQUEST' },
    { name: 'JSON array body', method: 'POST', path: '/api/admin/regions', rawBody: '[]', contentType: 'application/json', status: 400, code: 'VALIDATION_FAILED' },
    { name: '40 000-deep JSON body', method: 'POST', path: '/api/admin/invites', rawBody: deep(40_000), contentType: 'application/json', status: 400, code: 'VALIDATION_FAILED' },
    { name: 'oversized body to the admin API (auth router, 100 kB limit)', method: 'POST', path: '/api/admin/invites', rawBody: JSON.stringify({ role: 'admin', regionCodes: [big(200_000)] }), contentType: 'application/json', status: 413, code: 'PAYLOAD_TOO_LARGE' },
    { name: 'oversized body to the admin API (catalogue, 256 kB limit)', method: 'POST', path: '/api/admin/regions', rawBody: JSON.stringify({ code: '999999', name: big(300_000), province: 'x' }), contentType: 'application/json', status: 413, code: 'PAYLOAD_TOO_LARGE' },
    { name: 'oversized body to sign-in', method: 'POST', path: '/api/auth/login/verify', rawBody: JSON.stringify({ response: big(200_000) }), contentType: 'application/json', status: 413, code: 'PAYLOAD_TOO_LARGE' },
    { name: 'oversized PDF upload to /verify (10 MB limit)', method: 'POST', path: '/verify', rawBody: Buffer.alloc(11 * 1024 * 1024, 0x20), contentType: 'application/pdf', status: 413, code: 'DOCUMENT_TOO_LARGE' },
    { name: 'text/plain to the admin API (auth router)', method: 'POST', path: '/api/admin/invites', rawBody: JSON.stringify({ role: 'admin', regionCodes: [WUJIANG] }), contentType: 'text/plain', status: 400, code: 'VALIDATION_FAILED' },
    { name: 'form-encoded to the admin API (auth router)', method: 'POST', path: '/api/admin/invites', rawBody: 'role=admin&regionCodes=320509', contentType: 'application/x-www-form-urlencoded', status: 400, code: 'VALIDATION_FAILED' },
    { name: 'text/plain to the admin API (catalogue POST)', method: 'POST', path: '/api/admin/regions', rawBody: JSON.stringify({ code: '999998', name: '测试区', province: '测试省' }), contentType: 'text/plain', status: 400, code: 'VALIDATION_FAILED' },
    { name: 'text/plain to the admin API (catalogue PUT)', method: 'PUT', path: `/api/admin/regions/${HUOQIU}`, rawBody: 'x', contentType: 'text/plain', status: 400, code: 'VALIDATION_FAILED' },
    { name: 'text/plain to /verify', method: 'POST', path: '/verify', rawBody: 'hello', contentType: 'text/plain', status: 415, code: 'DOCUMENT_INVALID_UPLOAD' },
    { name: 'unsupported charset to the admin API', method: 'POST', path: '/api/admin/invites', rawBody: '{}', contentType: 'application/json; charset=utf-16', status: 400, code: 'BAD_REQUEST' },
    { name: '"__proto__" in a catalogue entity', method: 'POST', path: '/api/admin/regions', rawBody: '{"code":"999997","name":"测试区","province":"测试省","__proto__":{"polluted":"yes"}}', contentType: 'application/json', status: 400, code: 'VALIDATION_FAILED' },
    { name: '"__proto__" in an invite', method: 'POST', path: '/api/admin/invites', rawBody: '{"role":"admin","regionCodes":["320509"],"__proto__":{"polluted":"yes"}}', contentType: 'application/json', status: 400, code: 'VALIDATION_FAILED' },
    // Client errors that must not become 500 INTERNAL.
    { name: 'unsupported Content-Encoding to the admin API (auth router)', method: 'POST', path: '/api/admin/invites', rawBody: '{}', contentType: 'application/json', headers: { 'content-encoding': 'x-unknown' }, },
    { name: 'unsupported Content-Encoding to the admin API (catalogue)', method: 'POST', path: '/api/admin/regions', rawBody: '{}', contentType: 'application/json', headers: { 'content-encoding': 'x-unknown' }, },
    { name: 'unsupported Content-Encoding to counter activation', method: 'POST', path: '/api/auth/counter/activate', rawBody: '{}', contentType: 'application/json', headers: { 'content-encoding': 'x-unknown' }, },
  ];

  it.each(cases)('$name → 4xx $code', async (c) => {
    const res = await httpRequest(t.origin, c.method, c.path, { cookie: t.admin.cookieHeader, rawBody: c.rawBody, contentType: c.contentType, ...(c.headers ? { headers: c.headers } : {}) });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.json?.ok).toBe(false);
    expect(res.json?.error?.code).toMatch(/^[A-Z][A-Z_]+$/);
    expect(res.json?.error?.code).not.toBe('INTERNAL');
    if (c.status !== undefined) expect({ status: res.status, code: res.json?.error?.code }).toEqual({ status: c.status, code: c.code });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await httpRequest(t.origin, 'GET', '/healthz')).status).toBe(200);
  });

  // A malformed %-escape in a path parameter is the client's mistake: 400, not 500.
  const badEscapes: [Method, string][] = [
    ['GET', '/api/admin/regions/%E0%A4%A'],
    ['DELETE', '/api/admin/halls/%E0%A4%A'],
    ['POST', '/api/admin/staff/%E0%A4%A/disable'],
    ['GET', '/verify/%E0%A4%A'],
    ['GET', '/api/print/%E0%A4%A'],
    ['POST', '/api/documents/%E0%A4%A/print-token'],
  ];
  it.each(badEscapes)('%s %s (malformed %%-escape) → 400', async (method, path) => {
    const res = await httpRequest(t.origin, method, path, { cookie: t.admin.cookieHeader });
    expect(res.json?.ok).toBe(false);
    expect({ status: res.status, internal: res.json?.error?.code === 'INTERNAL' }).toEqual({ status: 400, internal: false });
  });

  it('the node is healthy at the end: /healthz, bystander, both calls', async () => {
    const health = await httpRequest(t.origin, 'GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ ok: true, data: { redis: true } });
    await bystanderAlive();
    expect(t.node.registry.get(caseB)?.counts()).toEqual(countsB);
    expect(t.node.registry.get(caseA)?.counts()).toMatchObject({ peers: 2, producers: 2 });
    expect((await counterB.request('ping')).ok).toBe(true);
  });
});
