// What the server answers to each request: `ResponseOf<'case.get'>` is the `data` of a
// successful response to a `case.get`. The server's handler table is typed against this map
// (signaling/src/ws/handlerTypes.ts), so a handler answering another shape fails the build, and the
// one client (client/SignalClient.ts) returns these types without call sites naming them.
import type { CaseRecord } from './caseRecord.js';
import type { RequestType } from './messages.js';
import type { CallMode, DocumentType, MediaSource } from './vocabulary.js';

// Media parameters are mediasoup's; the browser hands them to mediasoup-client as they are. They
// stay opaque here so the contract does not depend on either library's types.
/** RTP capabilities, parameters, ICE/DTLS/SCTP parameters: opaque mediasoup structures. */
export type MediaParameters = object;

/** An ICE server (TURN with short-lived credentials) for the client's RTCPeerConnection. */
export interface IceServerWire {
  urls: string[];
  username?: string;
  credential?: string;
}

/** The role of a peer in a call. */
export type CallRole = 'counter' | 'clerk';

/** A produced track, as peers learn about it. */
export interface ProducerInfoWire {
  producerId: string;
  peerId: string;
  kind: 'audio' | 'video';
  source: MediaSource;
}

/** The answer to session.join and desk.join. */
export interface JoinResponse {
  sessionId: string;
  rtpCapabilities: MediaParameters;
  /** True when the server still had the client's transports: media continues untouched. */
  resumed: boolean;
  producers: ProducerInfoWire[];
  peers: { peerId: string; role: CallRole }[];
  iceServers: IceServerWire[];
}

/** The answer to session.link. */
export interface LinkResponse {
  sessionId: string;
  peers: { peerId: string; role: CallRole }[];
}

/** Parameters a client needs to create its side of a WebRtcTransport. */
export interface TransportResponse {
  id: string;
  iceParameters: MediaParameters;
  iceCandidates: MediaParameters[];
  dtlsParameters: MediaParameters;
  /** Receive transports only. */
  sctpParameters?: MediaParameters;
}

/** Parameters a client needs to create its side of a data channel. */
export interface DataChannelResponse {
  id: string;
  dataProducerId: string;
  sctpStreamParameters: MediaParameters;
  label: string;
  protocol: string;
}

/** Parameters a client needs to create its side of a consumer. */
export interface ConsumerResponse {
  id: string;
  producerId: string;
  kind: 'audio' | 'video';
  rtpParameters: MediaParameters;
  peerId: string;
  source: MediaSource;
  /** A receiving slot not fed yet: `peerId` is empty until then. */
  slot?: true;
}

/** A case as sent to one viewer: the applicant's ID and phone numbers masked unless the viewer needs them. */
export type CaseView = Omit<CaseRecord, 'applicant'> & {
  applicant: { name: string; idNumber: string; phone?: string; masked: boolean };
};

/** Where a waiting case stands, sent with the counter's view while it is queued. */
export interface QueueStanding {
  position: number;
  estimatedWaitSeconds: number;
  clerksOnline: number;
  /** Clerks of the item at their desk but 示忙 (not in clerksOnline). */
  clerksPaused: number;
}

/** The view of a case as a request answers it: with its queue standing while queued. */
export type CaseViewResponse = CaseView & { queue?: QueueStanding };

/** A waiting case as the clerks of its queue see it. */
export interface QueueEntry {
  caseId: string;
  partnershipId: string;
  itemCode: string;
  itemName: string;
  applicantRegion: string;
  hallId: string;
  counterId: string;
  /** e.g. `陈**` */
  applicantName: string;
  enqueuedAt: string;
  waitingSeconds: number;
}

/** A document just issued on a case. */
export interface IssuedDocumentResponse {
  number: string;
  type: DocumentType;
  sha256: string;
  signer: string;
  title: string;
  /** Built from demonstration data (watermarked; /verify says 演示数据). */
  sample?: boolean;
}

/** A live node serving the caller's region, as its client reaches it. */
export interface RegionNodeWire {
  nodeId: string;
  /** The node's WebSocket URL (`wss://host/ws`). */
  url: string;
}

/** The `data` of a successful response, per request type. */
export interface Responses {
  'session.join': JoinResponse;
  'desk.join': JoinResponse;
  'session.link': LinkResponse;
  'session.leave': { left: true };
  'session.end': { ended: true };
  getRouterRtpCapabilities: MediaParameters;
  createWebRtcTransport: TransportResponse;
  openDataChannel: DataChannelResponse;
  connectTransport: { connected: true };
  produce: { producerId: string };
  closeProducer: { closed: true };
  consume: ConsumerResponse;
  resumeConsumer: { resumed: true };
  restartIce: { iceParameters: MediaParameters };
  'queue.join': CaseViewResponse;
  'queue.leave': CaseViewResponse;
  'queue.subscribe': { cases: (QueueEntry & { applicantRegionName?: string })[] };
  'queue.accept': CaseViewResponse;
  'case.transfer': CaseViewResponse;
  /** Clerks a held case may be transferred to (the serving region's, assigned the item; not the caller). */
  'clerk.colleagues': { colleagues: { staffId: string; name: string; online: boolean; busy: boolean; paused: boolean }[] };
  /** The clerk's 示忙 state: since when paused, or not paused. */
  'clerk.availability': { paused: boolean; since: string | null };
  'case.get': CaseViewResponse;
  'case.update': CaseViewResponse;
  'case.transition': CaseViewResponse;
  'material.capture': CaseViewResponse;
  'material.waive': CaseViewResponse;
  'document.issue': IssuedDocumentResponse;
  'chat.send': { at: string | undefined };
  'signature.submit': CaseViewResponse;
  'rating.submit': CaseViewResponse;
  /** When the marks went out to both sides. */
  'doc.marks': { at: string };
  /** The mode the call runs at now (the worse of the two sides' proposals). */
  'call.mode': { mode: CallMode };
  'identity.card': CaseViewResponse;
  /** The chip photo read at the counter (JPEG), whether a test reader produced it, and when. */
  'identity.photo': { photoBase64: string; sample: boolean; readAt: string };
  'identity.verify': CaseViewResponse;
  'form.set': CaseViewResponse;
  ping: { pong: number };
  'cluster.nodes': { nodes: RegionNodeWire[] };
}

/** The response data of request type `K`. */
export type ResponseOf<K extends RequestType> = Responses[K];

// Every request type has exactly one response type: a request added to the schema without an
// entry here (or an entry for a request that no longer exists) fails this line.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const everyRequestAnswered: Exact<keyof Responses, RequestType> = true;
void everyRequestAnswered;
