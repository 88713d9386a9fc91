/**
 * The signaling protocol: every WebSocket frame between a client (counter, clerk) and the
 * server. One discriminated union per direction on `type`, shared by server and web client.
 * Incoming frames are validated once at the socket edge with these schemas; the TypeScript
 * types are derived from them so the two can never drift. docs/protocol.md describes it.
 */
import { z } from 'zod';
import type { WireError } from './errors.js';
import type { ConsumerResponse, ProducerInfoWire } from './responses.js';
import { DocumentType, FormKey } from './catalog.js';
import { Agent, Applicant, Helper, IDENTITY_RESULTS, IdNumber } from './caseRecord.js';
import { describeInvalidInput, GENERIC_ADVICE } from './describeInvalidInput.js';
import { FieldKey, FieldValue } from './primitives.js';
import { CALL_MODES, MEDIA_SOURCES } from './vocabulary.js';

export type { WireError };

/** Largest frame the server accepts (bytes); a document-camera snapshot fits with room to spare. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;
/**
 * A chip photo as base64: the card holds a 102×126 picture (a few KB once the reader has decoded
 * it to JPEG); 64 KB of base64 leaves room for a reader that re-encodes it larger.
 */
export const MAX_CHIP_PHOTO_BASE64 = 64 * 1024;

const Id = z.string().min(1).max(128);
const RequestId = z.union([z.number().int().nonnegative(), z.string().min(1).max(64)]);

/** A produced track's source. */
export const MediaSourceSchema = z.enum(MEDIA_SOURCES);

// Media parameters are validated for shape here; mediasoup validates their semantics.
const DtlsParameters = z.object({
  role: z.enum(['auto', 'client', 'server']).optional(),
  fingerprints: z.array(z.object({ algorithm: z.string().max(32), value: z.string().max(256) })).min(1).max(8),
});
const RtcpFeedback = z.object({ type: z.string().max(32), parameter: z.string().max(32).optional() });
const CodecParameters = z.object({
  mimeType: z.string().max(64),
  payloadType: z.number().int().min(0).max(127),
  clockRate: z.number().int().positive(),
  channels: z.number().int().positive().max(8).optional(),
  parameters: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  rtcpFeedback: z.array(RtcpFeedback).max(32).optional(),
});
const RtpParameters = z.object({
  mid: z.string().max(32).optional(),
  codecs: z.array(CodecParameters).min(1).max(16),
  headerExtensions: z
    .array(z.object({ uri: z.string().max(256), id: z.number().int().min(1).max(255), encrypt: z.boolean().optional(), parameters: z.record(z.string(), z.unknown()).optional() }))
    .max(32)
    .optional(),
  encodings: z.array(z.record(z.string(), z.unknown())).max(8).optional(),
  rtcp: z.object({ cname: z.string().max(256).optional(), reducedSize: z.boolean().optional(), mux: z.boolean().optional() }).optional(),
  msid: z.string().max(256).optional(),
});
const RtpCapabilities = z.object({
  codecs: z.array(z.record(z.string(), z.unknown())).max(64).optional(),
  headerExtensions: z.array(z.record(z.string(), z.unknown())).max(64).optional(),
});

const req = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.object({ id: RequestId, type: z.literal(type), ...shape }).strict();

/** Every request a client may send. */
export const ClientRequestSchema = z.discriminatedUnion('type', [
  /** Join (or resume) the media session of a case; the server checks the caller belongs to it. */
  req('session.join', {
    sessionId: Id,
    /** Stable per browser tab; lets a reconnecting client take its peer back. */
    peerId: Id,
    /** Transports the client still has; if the server has them too, media goes on untouched. */
    resumeTransportIds: z.array(Id).max(4).optional(),
    /** The client's RTP capabilities: the server then creates its consumers itself (consumer.new). */
    rtpCapabilities: RtpCapabilities.optional(),
  }),
  /**
   * A clerk's desk: standby media of the clerk's page (transports connected, tracks held back)
   * in a session of its own; accepting a case links it to the call. Same answer as session.join.
   */
  req('desk.join', {
    peerId: Id,
    resumeTransportIds: z.array(Id).max(4).optional(),
    rtpCapabilities: RtpCapabilities.optional(),
  }),
  /** Link the caller's desk to the call of a case it holds (queue.accept does this by itself). */
  req('session.link', { sessionId: Id }),
  /** Leave the media session (the other side stays). */
  req('session.leave', {}),
  /** End the call for everyone (clerk) — the case itself is closed by case.transition. */
  req('session.end', {}),
  /** The router's RTP capabilities (also returned by session.join). */
  req('getRouterRtpCapabilities', {}),
  /** Create a WebRtcTransport; a `recv` one also gets SCTP for its data channel. */
  req('createWebRtcTransport', { direction: z.enum(['send', 'recv']) }),
  /** Open the data channel of a receive transport: connects it before there is media to consume. */
  req('openDataChannel', { transportId: Id }),
  /** Finish DTLS for a transport. */
  req('connectTransport', { transportId: Id, dtlsParameters: DtlsParameters }),
  /** Send a track (microphone, face camera, document camera or screen). */
  req('produce', { transportId: Id, kind: z.enum(['audio', 'video']), rtpParameters: RtpParameters, source: MediaSourceSchema }),
  /** Stop sending a track (e.g. end the screen share). */
  req('closeProducer', { producerId: Id }),
  /** Receive another peer's track; the consumer starts paused. */
  req('consume', { transportId: Id, producerId: Id, rtpCapabilities: RtpCapabilities }),
  /** Resume a paused consumer (the server also requests a keyframe). */
  req('resumeConsumer', { consumerId: Id }),
  /** ICE restart after the transport went `disconnected`/`failed`. */
  req('restartIce', { transportId: Id }),
  /** Counter: open a case for an item of a partnership and wait in the remote region's queue. */
  req('queue.join', {
    partnershipId: Id,
    itemCode: Id,
    /** The case record's own schema: the ID number's GB 11643 check digit is verified here already. */
    applicant: Applicant,
    /** 帮办代办 (#18): the person acting for the applicant, when not the applicant in person. */
    agent: Agent.optional(),
    /** 帮办员: the counter's staff member helping on site. */
    helper: Helper.optional(),
    /**
     * The applicant agreed to the recording notice of this version (protocol/recordingNotice.ts).
     * Required while the node records calls; absent it, no case is opened.
     */
    recordingConsent: z.strictObject({ noticeVersion: z.string().min(1).max(40) }).optional(),
  }),
  /** Counter: the applicant leaves the queue (case abandoned). */
  req('queue.leave', { caseId: Id }),
  /** Clerk: watch the queues of the items one handles (answers with the current queue). */
  req('queue.subscribe', {}),
  /**
   * Clerk: 示忙/示闲. `paused: true` takes no new applicants (queue.accept refused, not counted in
   * the counters' wait estimates) until `paused: false`; without `paused`, only reads the state.
   */
  req('clerk.availability', { paused: z.boolean().optional() }),
  /**
   * Clerk holding the case: 转办 to a colleague of the serving region assigned the item, with a
   * note for them (in the audit chain). The colleague holds it from then on; this clerk's desk
   * leaves the call.
   */
  req('case.transfer', { caseId: Id, toStaffId: Id, note: z.string().trim().min(2).max(500) }),
  /** Clerk holding the case: the colleagues it may be transferred to, with whether each is at the desk. */
  req('clerk.colleagues', { caseId: Id }),
  /** Clerk: accept a queued case; exactly one clerk wins. */
  req('queue.accept', { caseId: Id }),
  /** Read a case (masked as the caller's role requires) and subscribe to its changes. */
  req('case.get', { caseId: Id }),
  /** Edit case fields; compare-and-set on `expectedVersion`. */
  req('case.update', { caseId: Id, expectedVersion: z.number().int().nonnegative(), fields: z.record(FieldKey, FieldValue) }),
  /** Clerk: move the case (complete, reject, suspend, request materials, resume). */
  req('case.transition', {
    caseId: Id,
    expectedVersion: z.number().int().nonnegative(),
    to: z.enum(['in_session', 'pending_materials', 'completed', 'rejected', 'suspended']),
    reason: z.string().max(500).optional(),
  }),
  /** A document-camera snapshot (or upload) becomes a material of the case. */
  req('material.capture', {
    caseId: Id,
    materialId: Id.optional(),
    mime: z.enum(['image/jpeg', 'image/png', 'application/pdf']),
    dataBase64: z.string().min(4).max(MAX_FRAME_BYTES),
  }),
  /** Clerk: accept a missing mandatory material with a note and deadline (容缺受理). */
  req('material.waive', { caseId: Id, materialId: Id, note: z.string().min(1).max(500), deadline: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) }),
  /** Clerk: issue a signed document of the item (receipt, certificate…). */
  req('document.issue', {
    caseId: Id,
    docType: DocumentType,
  }),
  /** Text chat line in the call; stored in the case record. */
  req('chat.send', { caseId: Id, text: z.string().min(1).max(1000) }),
  /** Counter: the applicant's handwritten confirmation (PNG). */
  req('signature.submit', { caseId: Id, pngBase64: z.string().min(4).max(MAX_FRAME_BYTES) }),
  /** Counter: 好差评 rating of the clerk or the local counter, 1–5. */
  req('rating.submit', { caseId: Id, target: z.enum(['clerk', 'counter']), score: z.number().int().min(1).max(5), comment: z.string().max(500).optional() }),
  /**
   * Either side of the call: the media mode its own measurements call for (the ladder's step),
   * with the figures that decided it. The side is the caller's; the call runs at the worse side's.
   */
  req('call.mode', {
    caseId: Id,
    proposed: z.enum(CALL_MODES),
    measured: z.strictObject({
      availableKbps: z.number().min(0).max(1_000_000).optional(),
      lossPct: z.number().min(0).max(100).optional(),
      rttMs: z.number().min(0).max(60_000).optional(),
    }),
  }),
  /**
   * The clerk holding the case points at the 高拍仪 picture (#18): the whole set of marks, each a
   * stroke in the picture's own coordinates (0–1 of its width and height), replacing the last set;
   * an empty set clears them. Not stored: both sides of the call get `doc.marks`.
   */
  req('doc.marks', {
    caseId: Id,
    marks: z.array(z.strictObject({ points: z.array(z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)])).min(1).max(400) })).max(30),
  }),
  /**
   * Counter: 人证核验 — the applicant's ID card as the counter's reader read it (the chip's name,
   * number and photo, a JPEG). Refused unless it is the case's applicant's card. The photo is kept
   * beside the record for the clerk and deleted when the case closes; `sample` marks what a test
   * reader produced.
   */
  req('identity.card', {
    caseId: Id,
    card: z.strictObject({ name: z.string().trim().min(1).max(50), idNumber: IdNumber, photoBase64: z.string().min(4).max(MAX_CHIP_PHOTO_BASE64), sample: z.boolean() }),
  }),
  /** Clerk holding the case: the chip photo read at the counter, to compare with the live face. */
  req('identity.photo', { caseId: Id }),
  /** Clerk holding the case: 人证核验's result — the person at the counter is (not) the card's holder. */
  req('identity.verify', { caseId: Id, result: z.enum(IDENTITY_RESULTS) }),
  /**
   * Counter or clerk holding the case: one entry of the application form (申请表), compare-and-set
   * on that entry alone — `expectedRev` is the entry's `rev` as the page last saw it (0: never
   * filled). A write over a newer one is refused (FORM_FIELD_CONFLICT, with the entry as it now
   * is); an empty value clears the entry.
   */
  req('form.set', { caseId: Id, key: FormKey, value: z.string().max(2000), expectedRev: z.number().int().min(0) }),
  /** Liveness check. */
  req('ping', {}),
  /** The live nodes serving the caller's region: where its client goes if this node fails. */
  req('cluster.nodes', {}),
]);

/** A request a client may send. */
export type ClientRequest = z.infer<typeof ClientRequestSchema>;
/** The `type` of a client request. */
export type RequestType = ClientRequest['type'];
/** The request of a given type. */
export type RequestOf<T extends RequestType> = Extract<ClientRequest, { type: T }>;
/** What the caller passes to send a request (no id/type). */
export type RequestPayload<T extends RequestType> = Omit<RequestOf<T>, 'id' | 'type'>;


/** The answer to a request: echoes its id. */
export type ServerResponse =
  | { type: 'response'; id: number | string; ok: true; data: unknown }
  | { type: 'response'; id: number | string | null; ok: false; error: WireError };

/** A produced track, as peers learn about it. */
export type { ProducerInfoWire };
/** A consumer the server created for a client that joined with its RTP capabilities (`slot` until fed). */
export type ConsumerWire = ConsumerResponse;

/** One mark on the 高拍仪 picture: a stroke through points in the picture's coordinates (0–1). */
export interface DocMarkWire {
  points: [number, number][];
}

/** Everything the server pushes without being asked. */
export type ServerNotification =
  | { type: 'hello'; principal: { kind: string; role?: string; name?: string; regionCode?: string } }
  | { type: 'peer.joined'; sessionId: string; peerId: string; role: 'counter' | 'clerk' }
  | { type: 'peer.left'; sessionId: string; peerId: string; reason: 'left' | 'timeout' | 'transferred' }
  | { type: 'producer.new'; sessionId: string; producer: ProducerInfoWire }
  | { type: 'producer.closed'; sessionId: string; producerId: string }
  /** Consumers made for the client (it joined with rtpCapabilities), pictures first: set them up, then resumeConsumer each. */
  | { type: 'consumers.new'; sessionId: string; transportId: string; consumers: ConsumerWire[] }
  | { type: 'consumer.closed'; sessionId: string; consumerId: string }
  | { type: 'score'; sessionId: string; consumerId?: string; producerId?: string; score: number }
  /** The media session must be rebuilt (worker died, server restarted): re-join and re-produce. */
  | { type: 'media.reset'; sessionId: string; reason: string }
  | { type: 'session.ended'; sessionId: string; reason: string }
  | { type: 'queue.changed'; servingRegion: string; partnershipId: string; itemCode: string }
  | { type: 'case.changed'; caseId: string; version: number; state: string }
  | { type: 'chat.message'; caseId: string; at: string; by: string; role: string; text: string }
  | { type: 'document.issued'; caseId: string; number: string; docType: string; title: string }
  /** The clerk's marks on the 高拍仪 picture now (empty: cleared), to both sides of the call. */
  | { type: 'doc.marks'; caseId: string; marks: DocMarkWire[]; at: string }
  | { type: 'auth.revoked'; reason: string };

/** Any frame the server sends. */
export type ServerMessage = ServerResponse | ServerNotification;

/** Deepest nesting a frame may have; real mediasoup parameters stay under 6. */
export const MAX_FRAME_DEPTH = 16;

/**
 * Walks a parsed frame once, iteratively (deep input must not exhaust the stack), and reports
 * nesting beyond `limit` or a `__proto__` key: JSON.parse makes it an own key, which schema
 * parsers then silently drop instead of refusing.
 */
function inspectFrame(value: unknown, limit: number): 'too_deep' | 'proto_key' | undefined {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > limit) return 'too_deep';
    if (!Array.isArray(v) && Object.hasOwn(v, '__proto__')) return 'proto_key';
    for (const child of Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, d + 1]);
  }
  return undefined;
}

/** Parses and validates one incoming frame; returns the request or a wire error (never throws). */
export function parseClientFrame(raw: string): { ok: true; request: ClientRequest } | { ok: false; id: number | string | null; error: WireError } {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, id: null, error: { code: 'MALFORMED_JSON', message: '消息无法解析，请刷新页面后重试', details: { issue: 'frame is not valid JSON' } } };
  }
  const idGuess = typeof json === 'object' && json !== null ? (json as { id?: unknown }).id : undefined;
  const id = RequestId.safeParse(idGuess).success ? (idGuess as number | string) : null;
  const typeGuess = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
  if (typeof typeGuess !== 'string' || !REQUEST_TYPES.has(typeGuess)) {
    return { ok: false, id, error: { code: 'UNKNOWN_TYPE', message: '页面版本与服务器不一致，请刷新页面后重试', details: { type: String(typeGuess).slice(0, 40) } } };
  }
  const problem = inspectFrame(json, MAX_FRAME_DEPTH);
  if (problem === 'proto_key') return { ok: false, id, error: { code: 'INVALID_MESSAGE', message: GENERIC_ADVICE, details: { issue: 'forbidden key __proto__' } } };
  if (problem === 'too_deep') {
    return { ok: false, id, error: { code: 'INVALID_MESSAGE', message: GENERIC_ADVICE, details: { issue: `nesting deeper than ${MAX_FRAME_DEPTH}` } } };
  }
  const parsed = ClientRequestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    // The technical detail is for the log; the person gets a sentence about the field. Paths and
    // messages can quote the client's own keys: keep the echo short.
    const where = issue ? `${issue.path.map((p) => String(p).slice(0, 40)).join('.').slice(0, 120) || '(root)'}: ${issue.message.slice(0, 160)}` : 'invalid';
    return { ok: false, id, error: { code: 'INVALID_MESSAGE', message: describeInvalidInput(parsed.error.issues), details: { issue: where } } };
  }
  return { ok: true, request: parsed.data };
}

/** Every request type, for exhaustive tests and docs. */
export const REQUEST_TYPES: ReadonlySet<string> = new Set(ClientRequestSchema.options.map((o) => o.shape.type.value));
