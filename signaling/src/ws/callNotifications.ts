import type { CallService } from '../calls/CallService.js';
import type { Hub } from './Hub.js';

/**
 * The socket edge of calls: each CallService event becomes its protocol message. What the whole
 * call hears goes through the hub's routing (the sockets in the call or linked to it), never back
 * to the peer it is about; what is addressed to one peer goes to the socket holding that peer.
 */
export function forwardCallEvents(calls: CallService, hub: Pick<Hub, 'deliver' | 'byPeer'>): void {
  calls.on('peerjoined', ({ sessionId, peerId, role }) => hub.deliver({ type: 'peer.joined', sessionId, peerId, role }, hub.byPeer(sessionId, peerId)));
  calls.on('peerleft', ({ sessionId, peerId, reason }) => hub.deliver({ type: 'peer.left', sessionId, peerId, reason }));
  calls.on('producernew', ({ sessionId, producer }) => hub.deliver({ type: 'producer.new', sessionId, producer }, hub.byPeer(sessionId, producer.peerId)));
  calls.on('producerclosed', ({ sessionId, producerId, peerId }) => hub.deliver({ type: 'producer.closed', sessionId, producerId }, hub.byPeer(sessionId, peerId)));
  calls.on('sessionended', ({ sessionId, reason }) => hub.deliver({ type: 'session.ended', sessionId, reason }));
  calls.on('mediareset', ({ sessionId, reason }) => hub.deliver({ type: 'media.reset', sessionId, reason }));
  calls.on('consumersnew', ({ sessionId, peerId, transportId, consumers }) => hub.byPeer(sessionId, peerId)?.send({ type: 'consumers.new', sessionId, transportId, consumers }));
  calls.on('consumerclosed', ({ sessionId, peerId, consumerId }) => hub.byPeer(sessionId, peerId)?.send({ type: 'consumer.closed', sessionId, consumerId }));
  calls.on('score', ({ sessionId, peerId, score }) => hub.byPeer(sessionId, peerId)?.send({ type: 'score', sessionId, ...score }));
}
