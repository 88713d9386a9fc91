import type { MediaSession } from '@rvw/sfu';
import type { EnhancedEventEmitter } from 'mediasoup/extras';
import type { Logger } from '../observability/logger.js';
import type { CallServiceEvents } from './CallEvents.js';
import type { DeskLinks } from './DeskLinks.js';

/** Options for {@link bridgeMediaEvents}. */
export interface MediaBridgeOptions {
  /** Where call events go (the CallService). */
  events: Pick<EnhancedEventEmitter<CallServiceEvents>, 'safeEmit'>;
  links: Pick<DeskLinks, 'syncSession' | 'sessionClosed'>;
  logger: Logger;
}

/**
 * Turns one media session's events into call events (each naming its session), and keeps its
 * desk link in step: a new track of its own is piped across, and what it sent across goes with it.
 */
export function bridgeMediaEvents(session: MediaSession, options: MediaBridgeOptions): void {
  const { events, links, logger } = options;
  const sessionId = session.id;
  // Tracks imported from another node of the call: that node announced them (and their end) to
  // every socket of the call over the bus already, so they are not announced twice.
  const remote = new Set<string>();
  session.on('producernew', (producer) => {
    if (session.isRemoteProducer(producer.producerId)) remote.add(producer.producerId);
    else events.safeEmit('producernew', { sessionId, producer });
    // A new track on either side of a link is piped to the other (piped copies are not re-piped).
    if (session.isOwnProducer(producer.producerId)) links.syncSession(sessionId);
  });
  session.on('producerclosed', (info) => {
    if (!remote.delete(info.producerId)) events.safeEmit('producerclosed', { sessionId, producerId: info.producerId, peerId: info.peerId });
  });
  session.on('consumernew', (peerId, consumers, transportId) => events.safeEmit('consumersnew', { sessionId, peerId, transportId, consumers }));
  session.on('consumerclosed', (peerId, consumerId) => events.safeEmit('consumerclosed', { sessionId, peerId, consumerId }));
  session.on('score', (peerId, score) => events.safeEmit('score', { sessionId, peerId, score }));
  session.once('close', (reason) => {
    links.sessionClosed(sessionId);
    if (reason === 'workerdied') {
      logger.warn({ sessionId }, 'media worker died; peers rebuild their media');
      // Peers stay members; they re-join and re-produce on a fresh router.
      events.safeEmit('mediareset', { sessionId, reason: 'workerdied' });
    }
  });
}
