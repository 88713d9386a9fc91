import type { ConsumerParams, ProducerInfo } from '@rvw/sfu';

/** A participant's side in a call. */
export type CallRole = 'counter' | 'clerk';

/**
 * What the calls of this node tell the sockets, as {@link CallService} events. The socket edge
 * (ws/callNotifications.ts) maps each to its protocol message and routes it; CallService itself
 * knows no socket delivery.
 */
export type CallServiceEvents = {
  /** A peer entered a call (or came back without its media): everyone else in it is told. */
  peerjoined: [event: { sessionId: string; peerId: string; role: CallRole }];
  /**
   * A clerk's desk is about to be linked to a call: both sessions exist on this node, nothing is
   * piped yet. A listener that must be in place before the call's pictures start (the recorder)
   * passes its work to `waitUntil`; the link waits for it, within a bound (LINK_HOLD_MS).
   */
  desklinking: [event: { sessionId: string; deskId: string; peerId: string; waitUntil: (work: Promise<unknown>) => void }];
  /**
   * A clerk's desk is linked to a call and its tracks are piped in: the call has both sides' tracks
   * now (the node's own listeners; no socket is told of this one).
   */
  desklinked: [event: { sessionId: string; peerId: string }];
  /** A peer left a call (hang-up, or its grace period ran out): everyone else in it is told. */
  peerleft: [event: { sessionId: string; peerId: string; reason: 'left' | 'timeout' | 'transferred' }];
  /** A track appeared in a call: everyone but its own peer is told. */
  producernew: [event: { sessionId: string; producer: ProducerInfo }];
  /** A track went away: everyone but its own peer is told. */
  producerclosed: [event: { sessionId: string; producerId: string; peerId: string }];
  /** The server made consumers for one peer (one batch, one renegotiation): that peer alone. */
  consumersnew: [event: { sessionId: string; peerId: string; transportId: string; consumers: ConsumerParams[] }];
  /** The server closed one peer's consumer (its producer went): that peer alone. */
  consumerclosed: [event: { sessionId: string; peerId: string; consumerId: string }];
  /** Quality score of one peer's producer or consumer: that peer alone. */
  score: [event: { sessionId: string; peerId: string; score: { consumerId?: string; producerId?: string; score: number } }];
  /** The call ended for everyone (hang-up or the case closed). Emitted while its sockets are still in it. */
  sessionended: [event: { sessionId: string; reason: string }];
  /** The call's media died with its worker: every peer rebuilds its media on a fresh router. */
  mediareset: [event: { sessionId: string; reason: 'workerdied' }];
};
