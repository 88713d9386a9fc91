import type { Route, RouteCaseFacts, RoutedNotification } from '../notifications/Route.js';
import type { Connection, IndexedField } from './Connection.js';

/** A right the Hub asks about before handing a socket a notification the route alone doesn't settle. */
export type DeliveryGrant = { action: 'queue.read'; queue: { servingRegion: string; itemCode: string } } | { action: 'chat.read'; case: RouteCaseFacts };

/** Options for {@link Hub}. */
export interface HubOptions {
  /** Whether the connection's principal holds the grant (the policy module decides). */
  mayReceive: (conn: Connection, grant: DeliveryGrant) => boolean;
}

/** Notifications of a media session, sent on this node only (until the call service publishes them). */
export type SessionNotification = Extract<RoutedNotification, { sessionId: string }>;

/** A multimap from a key to the connections under it. */
class ConnectionIndex {
  readonly #map = new Map<string, Set<Connection>>();

  add(key: string, conn: Connection): void {
    let set = this.#map.get(key);
    if (!set) this.#map.set(key, (set = new Set()));
    set.add(conn);
  }

  delete(key: string, conn: Connection): void {
    const set = this.#map.get(key);
    if (!set?.delete(conn)) return;
    if (!set.size) this.#map.delete(key);
  }

  get(key: string): ReadonlySet<Connection> {
    return this.#map.get(key) ?? EMPTY;
  }

  *all(): Iterable<Connection> {
    for (const set of this.#map.values()) yield* set;
  }
}

const EMPTY: ReadonlySet<Connection> = new Set();

/**
 * The live sockets of this node, indexed by what they listen to (case, session, linked call,
 * queue, principal, sign-in session), and the delivery of routed notifications by those indexes:
 * a delivery looks only at the sockets its route names, never at every connection. Every
 * node's notifications arrive here through the EventBus (see notifications/).
 */
export class Hub {
  readonly #options: HubOptions;
  readonly #connections = new Set<Connection>();
  readonly #byField: Record<IndexedField, ConnectionIndex> = {
    case: new ConnectionIndex(),
    session: new ConnectionIndex(),
    linked: new ConnectionIndex(),
    waiting: new ConnectionIndex(),
    // Clerks watching the queue, by their region.
    queue: new ConnectionIndex(),
  };
  readonly #byStaff = new ConnectionIndex();
  readonly #byCounter = new ConnectionIndex();
  readonly #bySessionKey = new ConnectionIndex();
  #examined = 0;

  constructor(options: HubOptions) {
    this.#options = options;
  }

  /** Registers an open connection. */
  add(conn: Connection): void {
    if (this.#connections.has(conn)) return;
    this.#connections.add(conn);
    const p = conn.principal;
    if (p.kind === 'staff') this.#byStaff.add(p.staffId, conn);
    if (p.kind === 'counter') this.#byCounter.add(p.counterId, conn);
    if (conn.sessionKey) this.#bySessionKey.add(conn.sessionKey, conn);
    conn.observeIndex((c, field, value, present) => {
      const key = field === 'queue' ? queueRegionOf(c) : value;
      if (present) this.#byField[field].add(key, c);
      else this.#byField[field].delete(key, c);
    });
  }

  /** Forgets a closed connection. */
  remove(conn: Connection): void {
    if (!this.#connections.delete(conn)) return;
    conn.observeIndex(undefined);
    const p = conn.principal;
    if (p.kind === 'staff') this.#byStaff.delete(p.staffId, conn);
    if (p.kind === 'counter') this.#byCounter.delete(p.counterId, conn);
    if (conn.sessionKey) this.#bySessionKey.delete(conn.sessionKey, conn);
    for (const c of conn.caseSubscriptions) this.#byField.case.delete(c, conn);
    for (const q of conn.waitingIn) this.#byField.waiting.delete(q, conn);
    if (conn.sessionId) this.#byField.session.delete(conn.sessionId, conn);
    if (conn.linkedSessionId) this.#byField.linked.delete(conn.linkedSessionId, conn);
    if (conn.queueSubscribed) this.#byField.queue.delete(queueRegionOf(conn), conn);
  }

  /** Number of open connections. */
  get size(): number {
    return this.#connections.size;
  }

  /**
   * How many connections deliveries have looked at so far. With indexes this grows with the
   * receivers of each notification, not with the node's connections (a test holds it to that).
   */
  get examined(): number {
    return this.#examined;
  }

  /** Connections whose page watches its queues (queue.subscribe): the clerks at their desks. */
  queueWatchers(): Connection[] {
    return [...this.#byField.queue.all()];
  }

  /** Connections in a media session. */
  inSession(sessionId: string): Connection[] {
    return [...this.#byField.session.get(sessionId)];
  }

  /** Desk connections linked to a call (the clerk's page, whose media is piped in from its desk). */
  linkedTo(sessionId: string): Connection[] {
    return [...this.#byField.linked.get(sessionId)];
  }

  /** The connection holding a peer id in a session (directly or through a linked desk), if any. */
  byPeer(sessionId: string, peerId: string): Connection | undefined {
    for (const c of this.#byField.session.get(sessionId)) if (c.peerId === peerId) return c;
    for (const c of this.#byField.linked.get(sessionId)) if (c.peerId === peerId) return c;
    return undefined;
  }

  /** Connections of one staff member (to cut them off on revocation). */
  byStaff(staffId: string): Connection[] {
    return [...this.#byStaff.get(staffId)];
  }

  /** Connections opened with one sign-in session (its hashed cookie), to end them on logout. */
  bySessionKey(sessionKey: string): Connection[] {
    return [...this.#bySessionKey.get(sessionKey)];
  }

  /** Connections of one counter terminal. */
  byCounter(counterId: string): Connection[] {
    return [...this.#byCounter.get(counterId)];
  }

  /** Delivers a routed notification (from the bus) to this node's sockets its route names. */
  route(message: RoutedNotification, route: Route): void {
    for (const conn of this.#receivers(route)) conn.send(message);
  }

  /**
   * Delivers a media-session notification on this node only, except to `except` (the peer it
   * came from). Kept for the call service until it publishes through notifications.
   */
  deliver(event: SessionNotification, except?: Connection): void {
    for (const conn of this.#receivers({ audience: 'session', sessionId: event.sessionId })) if (conn !== except) conn.send(event);
  }

  #receivers(route: Route): Set<Connection> {
    const out = new Set<Connection>();
    const take = (conns: Iterable<Connection>, keep: (c: Connection) => boolean = () => true) => {
      for (const c of conns) {
        this.#examined++;
        if (keep(c)) out.add(c);
      }
    };
    switch (route.audience) {
      case 'case':
        take(this.#byField.case.get(route.caseId));
        take(this.#byField.session.get(route.caseId));
        take(this.#byField.linked.get(route.caseId));
        // The holder's desk pages hear of a case handed to them (转办) before they follow it.
        if (route.case.clerkId) take(this.#byStaff.get(route.case.clerkId), (c) => c.queueSubscribed);
        break;
      case 'parties': {
        // To the two sides' sockets following the case (not every subscriber: admins, other clerks).
        const { caseId, case: facts } = route;
        const follows = (c: Connection) => c.caseSubscriptions.has(caseId) || c.sessionId === caseId || c.linkedSessionId === caseId;
        const keep = (c: Connection) => follows(c) && this.#options.mayReceive(c, { action: 'chat.read', case: facts });
        if (facts.clerkId) take(this.#byStaff.get(facts.clerkId), keep);
        take(this.#byCounter.get(facts.counterId), keep);
        break;
      }
      case 'session':
        take(this.#byField.session.get(route.sessionId), (c) => !route.exceptPeerId || c.peerId !== route.exceptPeerId);
        take(this.#byField.linked.get(route.sessionId), (c) => !route.exceptPeerId || c.peerId !== route.exceptPeerId);
        break;
      case 'queue': {
        const queue = { servingRegion: route.servingRegion, itemCode: route.itemCode };
        take(this.#byField.queue.get(route.servingRegion), (c) => this.#options.mayReceive(c, { action: 'queue.read', queue }));
        take(this.#byField.waiting.get(`${route.servingRegion}|${route.itemCode}`));
        break;
      }
      default: {
        const never: never = route;
        return never;
      }
    }
    return out;
  }
}

/** The region a queue-watching socket is indexed under: its clerk's serving region. */
function queueRegionOf(conn: Connection): string {
  const p = conn.principal;
  return p.kind === 'staff' && p.role === 'clerk' ? p.regionCode : '';
}
