import type { CallService } from '../calls/CallService.js';
import type { Notifications } from '../notifications/Notifications.js';
import type { Hub } from './Hub.js';

/** Where call events go: the node's one notification route, and this node's sockets. */
export interface CallNotificationTargets {
  notifications: Pick<Notifications, 'publish'>;
  hub: Pick<Hub, 'deliver' | 'byPeer'>;
}

/**
 * The socket edge of calls: each CallService event becomes its protocol message.
 *
 * - What a call's participants hear (peer.joined/left, producer.new/closed, media.reset) is
 *   published on the notification route to the sockets in the session or linked to it, on any
 *   node, never to the peer it is about.
 * - session.ended is delivered here, at once: each node ends its own session (a closed case ends
 *   it on whichever node hosts it), and the sockets leave the session right after the event, so a
 *   message arriving later over the bus would find nobody in it.
 * - consumers.new, consumer.closed and score are addressed to the one socket holding the peer,
 *   which is on this node with the peer's media.
 */
export function forwardCallEvents(calls: CallService, targets: CallNotificationTargets): void {
  const { notifications, hub } = targets;
  const toSession = (sessionId: string, exceptPeerId?: string) => ({ audience: 'session' as const, sessionId, ...(exceptPeerId ? { exceptPeerId } : {}) });
  calls.on('peerjoined', ({ sessionId, peerId, role }) => notifications.publish({ type: 'peer.joined', sessionId, peerId, role }, toSession(sessionId, peerId)));
  calls.on('peerleft', ({ sessionId, peerId, reason }) => notifications.publish({ type: 'peer.left', sessionId, peerId, reason }, toSession(sessionId)));
  calls.on('producernew', ({ sessionId, producer }) => notifications.publish({ type: 'producer.new', sessionId, producer }, toSession(sessionId, producer.peerId)));
  calls.on('producerclosed', ({ sessionId, producerId, peerId }) => notifications.publish({ type: 'producer.closed', sessionId, producerId }, toSession(sessionId, peerId)));
  calls.on('mediareset', ({ sessionId, reason }) => notifications.publish({ type: 'media.reset', sessionId, reason }, toSession(sessionId)));
  calls.on('sessionended', ({ sessionId, reason }) => hub.deliver({ type: 'session.ended', sessionId, reason }));
  calls.on('consumersnew', ({ sessionId, peerId, transportId, consumers }) => hub.byPeer(sessionId, peerId)?.send({ type: 'consumers.new', sessionId, transportId, consumers }));
  calls.on('consumerclosed', ({ sessionId, peerId, consumerId }) => hub.byPeer(sessionId, peerId)?.send({ type: 'consumer.closed', sessionId, consumerId }));
  calls.on('score', ({ sessionId, peerId, score }) => hub.byPeer(sessionId, peerId)?.send({ type: 'score', sessionId, ...score }));
}
