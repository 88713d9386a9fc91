import type { types } from 'mediasoup';

/** What a produced track shows: the applicant's face, the 高拍仪 document camera, a screen share or a microphone. */
export type { MediaSource } from '@rvw/protocol/vocabulary';
import type { MediaSource } from '@rvw/protocol/vocabulary';

/** Where WebRTC transports listen and what address they announce. */
export interface TransportListenOptions {
  listenIp: string;
  announcedAddress?: string | undefined;
  minPort: number;
  maxPort: number;
  /** Cap on what one peer may send (bps); protects the SFU from a misbehaving terminal. */
  maxIncomingBitrate?: number;
  /** What one peer and one session may hold; unlimited when absent. */
  limits?: MediaLimits;
}

/** Budgets of one session's media objects (each WebRTC transport holds an RTC port). */
export interface MediaLimits {
  transportsPerPeer: number;
  producersPerPeer: number;
  transportsPerSession: number;
}

/** A producer as other peers learn about it. */
export interface ProducerInfo {
  producerId: string;
  peerId: string;
  kind: types.MediaKind;
  source: MediaSource;
}

/** Parameters a client needs to create its side of a WebRtcTransport. */
export interface TransportParams {
  id: string;
  iceParameters: types.IceParameters;
  iceCandidates: types.IceCandidate[];
  dtlsParameters: types.DtlsParameters;
  /** Receive transports only. */
  sctpParameters?: types.SctpParameters;
}

/** What a plain-RTP client needs: where to send, and the keys the worker encrypts with. */
export interface PlainTransportParams {
  id: string;
  ip: string;
  port: number;
  srtpParameters: types.SrtpParameters;
}

/** Parameters a client needs to create its side of a data channel (mediasoup DataConsumer). */
export interface DataChannelParams {
  id: string;
  dataProducerId: string;
  sctpStreamParameters: types.SctpStreamParameters;
  label: string;
  protocol: string;
}

/** Parameters a client needs to create its side of a consumer. */
export interface ConsumerParams {
  id: string;
  producerId: string;
  kind: types.MediaKind;
  rtpParameters: types.RtpParameters;
  peerId: string;
  source: MediaSource;
  /** A receiving slot not fed yet (see MediaSession.enablePush): `peerId` is empty until then. */
  slot?: true;
}

/** Counts of live mediasoup objects in a session, for leak checks and metrics. */
export interface MediaSessionCounts {
  peers: number;
  transports: number;
  producers: number;
  consumers: number;
}

/** Events of a MediaSession. */
export type MediaSessionEvents = {
  /** A peer produced a track; tell the other peers so they can consume it. */
  producernew: [info: ProducerInfo];
  /**
   * A desk's copy was staged into this session's router ahead of a link (not adopted: no peer of
   * the session sees it); a region pipe may send it ahead (see MediaSession.stagedCopiesHere).
   */
  copystaged: [info: ProducerInfo];
  /**
   * An import held ahead of its link (MediaSession.holdImport) that fed no slot when it came now
   * feeds one: the receiver's slots were made after it. Its sender may start it at the link at once.
   */
  heldfed: [producerId: string];
  /** A producer closed (peer left, stopped sharing); consumers of it are closed too. */
  producerclosed: [info: ProducerInfo];
  /** The server created consumers for a push peer (see MediaSession.enablePush): tell that peer. */
  consumernew: [peerId: string, consumers: ConsumerParams[], transportId: string];
  /** A consumer of `peerId` was closed by the server (its producer went away). */
  consumerclosed: [peerId: string, consumerId: string];
  /** Quality score (0–10) of a peer's consumer or producer, from mediasoup's score events. */
  score: [peerId: string, score: { consumerId?: string; producerId?: string; score: number }];
  /** The session closed: `reason` is `closed` (hang-up) or `workerdied` (media must be rebuilt). */
  close: [reason: 'closed' | 'workerdied'];
};
