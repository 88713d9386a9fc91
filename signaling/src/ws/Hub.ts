import type { ServerNotification } from '../protocol.js';
import type { Connection } from './Connection.js';

/**
 * The live sockets of this node, indexed by what they listen to, and the routing rule of every
 * notification. Cross-node events arrive through the EventBus and are delivered here too.
 */
export class Hub {
  readonly #connections = new Set<Connection>();
  /** Which queues a clerk connection watches: servingRegion + item codes, from its principal. */
  readonly #queueFilter: (conn: Connection, event: Extract<ServerNotification, { type: 'queue.changed' }>) => boolean;

  constructor(queueFilter: (conn: Connection, event: Extract<ServerNotification, { type: 'queue.changed' }>) => boolean) {
    this.#queueFilter = queueFilter;
  }

  /** Registers an open connection. */
  add(conn: Connection): void {
    this.#connections.add(conn);
  }

  /** Forgets a closed connection. */
  remove(conn: Connection): void {
    this.#connections.delete(conn);
  }

  /** Number of open connections. */
  get size(): number {
    return this.#connections.size;
  }

  /** Connections whose page watches its queues (queue.subscribe): the clerks at their desks. */
  queueWatchers(): Connection[] {
    return [...this.#connections].filter((c) => c.queueSubscribed);
  }

  /** Connections in a media session. */
  inSession(sessionId: string): Connection[] {
    return [...this.#connections].filter((c) => c.sessionId === sessionId);
  }

  /** Desk connections linked to a call (the clerk's page, whose media is piped in from its desk). */
  linkedTo(sessionId: string): Connection[] {
    return [...this.#connections].filter((c) => c.linkedSessionId === sessionId);
  }

  /** The connection holding a peer id in a session (directly or through a linked desk), if any. */
  byPeer(sessionId: string, peerId: string): Connection | undefined {
    for (const c of this.#connections) if ((c.sessionId === sessionId || c.linkedSessionId === sessionId) && c.peerId === peerId) return c;
    return undefined;
  }

  /** Connections of one staff member (to cut them off on revocation). */
  byStaff(staffId: string): Connection[] {
    return [...this.#connections].filter((c) => c.principal.kind === 'staff' && c.principal.staffId === staffId);
  }

  /** Connections opened with one sign-in session (its hashed cookie), to end them on logout. */
  bySessionKey(sessionKey: string): Connection[] {
    return [...this.#connections].filter((c) => c.sessionKey === sessionKey);
  }

  /** Connections of one counter terminal. */
  byCounter(counterId: string): Connection[] {
    return [...this.#connections].filter((c) => c.principal.kind === 'counter' && c.principal.counterId === counterId);
  }

  /** Delivers a notification to every connection that should see it. */
  deliver(event: ServerNotification, except?: Connection): void {
    for (const conn of this.#connections) {
      if (conn === except) continue;
      if (this.#wants(conn, event)) conn.send(event);
    }
  }

  #wants(conn: Connection, event: ServerNotification): boolean {
    switch (event.type) {
      case 'queue.changed':
        return (conn.queueSubscribed && this.#queueFilter(conn, event)) || conn.waitingIn.has(`${event.servingRegion}|${event.itemCode}`);
      case 'case.changed':
      case 'chat.message':
      case 'document.issued':
        return conn.caseSubscriptions.has(event.caseId) || conn.sessionId === event.caseId || conn.linkedSessionId === event.caseId;
      case 'peer.joined':
      case 'peer.left':
      case 'producer.new':
      case 'producer.closed':
      case 'media.reset':
      case 'session.ended':
        return conn.sessionId === event.sessionId || conn.linkedSessionId === event.sessionId;
      case 'consumers.new':
      case 'consumer.closed':
      case 'score':
      case 'hello':
      case 'auth.revoked':
        // Addressed to one connection; sent with conn.send, never broadcast.
        return false;
      default: {
        const never: never = event;
        return never;
      }
    }
  }
}
