import type { Principal } from '../auth/Principal.js';
import type { Logger } from '../observability/logger.js';
import { ClerkPresence, PRESENCE_TTL_SECONDS, type PresentClerk } from '../queue/ClerkPresence.js';
import type { RedisClient } from '../store/redisClient.js';
import type { Connection } from '../ws/Connection.js';
import type { Handler } from '../ws/handlerTypes.js';
import type { Hub } from '../ws/Hub.js';
import type { Closers } from './Closers.js';

/** Options for {@link wireClerkPresence}. */
export interface ClerkPresenceWiringOptions {
  redis: RedisClient;
  clock: () => Date;
  hub: Pick<Hub, 'queueWatchers' | 'byStaff'>;
  logger: Logger;
  closers: Closers;
}

/** The two points where the socket edge tells presence about a clerk. */
export interface ClerkPresenceWiring {
  /** Wraps the `queue.subscribe` handler: a clerk who watches the queue is online. */
  watchQueues(handler: Handler<'queue.subscribe'>): Handler<'queue.subscribe'>;
  /** After a socket closed: the clerk is offline once none of its sockets watches the queue. */
  connectionClosed(conn: Connection): void;
}

const asClerk = (p: Principal) => (p.kind === 'staff' && p.role === 'clerk' ? p : undefined);

/**
 * Who serves which item now, for the counters' wait estimates: a clerk whose page watches the
 * queue is present (refreshed here, on whichever node holds the socket) until it goes.
 */
export function wireClerkPresence(opts: ClerkPresenceWiringOptions): ClerkPresenceWiring {
  const { hub, logger } = opts;
  const presence = new ClerkPresence(opts.redis, opts.clock);
  const timer = setInterval(() => {
    // Once per clerk, however many of its sockets watch.
    const clerks = new Map<string, PresentClerk>();
    for (const conn of hub.queueWatchers()) {
      const clerk = asClerk(conn.principal);
      if (clerk) clerks.set(clerk.staffId, clerk);
    }
    for (const clerk of clerks.values()) void presence.online(clerk).catch(() => undefined);
  }, (PRESENCE_TTL_SECONDS * 1000) / 3);
  timer.unref();
  opts.closers.addFirst(() => clearInterval(timer));
  return {
    watchQueues: (handler) => async (conn, request) => {
      // A page re-reads its queue on every queue.changed: only its first read announces the clerk
      // (then the timer keeps it present), or a change to 1,000 watching clerks costs 1,000 writes.
      const first = !conn.queueSubscribed;
      const answer = await handler(conn, request);
      const clerk = asClerk(conn.principal);
      if (clerk && first) await presence.online(clerk).catch((err: Error) => logger.warn({ err: err.message }, 'presence not recorded'));
      return answer;
    },
    connectionClosed: (conn) => {
      const clerk = asClerk(conn.principal);
      if (!clerk || !conn.queueSubscribed || hub.byStaff(clerk.staffId).some((c) => c.queueSubscribed)) return;
      void presence.offline(clerk).catch(() => undefined);
    },
  };
}
