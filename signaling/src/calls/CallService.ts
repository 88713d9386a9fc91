import type { MediaSession, SessionRegistry } from '../../../sfu/src';
import type { Principal } from '../auth/Principal';
import { AppError } from '../errors/AppError';
import type { Logger } from '../observability/logger';
import type { Connection } from '../ws/Connection';
import type { Hub } from '../ws/Hub';

/** An ICE server as the browser's RTCPeerConnection takes it. */
export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

/** Options for {@link CallService}. */
export interface CallServiceOptions {
  registry: SessionRegistry;
  hub: Hub;
  /** Decides whether the principal belongs to the session (case) and in which role; throws AppError. */
  authorizeJoin: (principal: Principal, sessionId: string) => Promise<'counter' | 'clerk'>;
  /** How long a vanished peer keeps its media before it is removed and the other side told. */
  peerGraceMs: number;
  /** TURN/STUN servers for a principal (short-lived TURN credentials). */
  iceServers: (principal: Principal) => IceServer[];
  logger: Logger;
}

/** What session.join answers. */
export interface JoinResult {
  sessionId: string;
  rtpCapabilities: unknown;
  /** True when the server still had the client's transports: media continues untouched. */
  resumed: boolean;
  producers: { producerId: string; peerId: string; kind: 'audio' | 'video'; source: string }[];
  peers: { peerId: string; role: 'counter' | 'clerk' }[];
  iceServers: IceServer[];
}

/**
 * Who is in which call: joins (and resumes after a reconnect), leaves, hang-ups, and the grace
 * period after a socket vanished. Bridges MediaSession events to the sockets of the session.
 */
export class CallService {
  readonly #o: CallServiceOptions;
  /** sessionId → peerId → role */
  readonly #members = new Map<string, Map<string, 'counter' | 'clerk'>>();
  readonly #graceTimers = new Map<string, NodeJS.Timeout>();

  constructor(options: CallServiceOptions) {
    this.#o = options;
    options.registry.on('sessioncreated', (session) => this.#wire(session));
  }

  /** Joins (or resumes) the call of `sessionId` for this connection. */
  async join(conn: Connection, sessionId: string, peerId: string, resumeTransportIds: string[] = []): Promise<JoinResult> {
    const role = await this.#o.authorizeJoin(conn.principal, sessionId);
    if (conn.sessionId && conn.sessionId !== sessionId) this.leave(conn);
    const session = await this.#o.registry.getOrCreate(sessionId);
    const key = `${sessionId}/${peerId}`;
    const timer = this.#graceTimers.get(key);
    if (timer) {
      clearTimeout(timer);
      this.#graceTimers.delete(key);
    }
    // The same peer on a newer socket takes over (the old one is a half-dead reconnect).
    const previous = this.#o.hub.byPeer(sessionId, peerId);
    if (previous && previous !== conn) {
      previous.sessionId = undefined;
      previous.peerId = undefined;
      previous.socket.close(4001, 'replaced by a newer connection');
    }
    const resumed = session.peerHasTransports(peerId, resumeTransportIds);
    if (!resumed && session.hasPeer(peerId)) session.closePeer(peerId);
    conn.sessionId = sessionId;
    conn.peerId = peerId;
    conn.sessionRole = role;
    const members = this.#membersOf(sessionId);
    const isNew = !members.has(peerId);
    members.set(peerId, role);
    if (isNew || !resumed) this.#o.hub.deliver({ type: 'peer.joined', sessionId, peerId, role }, conn);
    return {
      sessionId,
      rtpCapabilities: session.rtpCapabilities,
      resumed,
      producers: session.listProducers(peerId),
      peers: [...members].filter(([p]) => p !== peerId).map(([p, r]) => ({ peerId: p, role: r })),
      iceServers: this.#o.iceServers(conn.principal),
    };
  }

  /** The RTP capabilities every router of this node has (same codecs everywhere). */
  routerCapabilities(): Promise<unknown> {
    return this.#o.registry.capabilities();
  }

  /** The media session of the connection's current call, or NOT_IN_SESSION. */
  mediaOf(conn: Connection): { session: MediaSession; peerId: string } {
    const session = conn.sessionId ? this.#o.registry.get(conn.sessionId) : undefined;
    if (!session || !conn.peerId || session.closed) {
      throw new AppError('NOT_IN_SESSION', '尚未加入通话，请先 session.join (join the session first)', 409);
    }
    return { session, peerId: conn.peerId };
  }

  /** The connection leaves its call now (no grace period). */
  leave(conn: Connection): void {
    const { sessionId, peerId } = conn;
    if (!sessionId || !peerId) return;
    conn.sessionId = undefined;
    conn.peerId = undefined;
    conn.sessionRole = undefined;
    this.#removePeer(sessionId, peerId, 'left');
  }

  /** Ends the call for everyone: media closed, both sides told. */
  end(sessionId: string, reason: string): void {
    this.#o.hub.deliver({ type: 'session.ended', sessionId, reason });
    for (const c of this.#o.hub.inSession(sessionId)) {
      c.sessionId = undefined;
      c.peerId = undefined;
      c.sessionRole = undefined;
    }
    this.#members.delete(sessionId);
    for (const [key, t] of this.#graceTimers) {
      if (key.startsWith(`${sessionId}/`)) {
        clearTimeout(t);
        this.#graceTimers.delete(key);
      }
    }
    this.#o.registry.close(sessionId);
  }

  /** A socket closed: keep its media for the grace period, then remove the peer. */
  onConnectionClosed(conn: Connection): void {
    const { sessionId, peerId } = conn;
    if (!sessionId || !peerId) return;
    const key = `${sessionId}/${peerId}`;
    const timer = setTimeout(() => {
      this.#graceTimers.delete(key);
      // Only if nobody took this peer back in the meantime.
      if (!this.#o.hub.byPeer(sessionId, peerId)) this.#removePeer(sessionId, peerId, 'timeout');
    }, this.#o.peerGraceMs);
    timer.unref();
    this.#graceTimers.set(key, timer);
  }

  /** Clears timers; the registry is closed by its owner. */
  close(): void {
    for (const t of this.#graceTimers.values()) clearTimeout(t);
    this.#graceTimers.clear();
  }

  #removePeer(sessionId: string, peerId: string, reason: 'left' | 'timeout'): void {
    this.#o.registry.get(sessionId)?.closePeer(peerId);
    const members = this.#members.get(sessionId);
    if (members?.delete(peerId)) this.#o.hub.deliver({ type: 'peer.left', sessionId, peerId, reason });
    // The last one out closes the router so nothing lingers on the worker.
    if (members && members.size === 0) {
      this.#members.delete(sessionId);
      this.#o.registry.close(sessionId);
    }
  }

  #membersOf(sessionId: string): Map<string, 'counter' | 'clerk'> {
    let m = this.#members.get(sessionId);
    if (!m) {
      m = new Map();
      this.#members.set(sessionId, m);
    }
    return m;
  }

  #wire(session: MediaSession): void {
    const sessionId = session.id;
    const hub = this.#o.hub;
    session.on('producernew', (producer) => {
      hub.deliver({ type: 'producer.new', sessionId, producer }, hub.byPeer(sessionId, producer.peerId));
    });
    session.on('producerclosed', (info) => {
      hub.deliver({ type: 'producer.closed', sessionId, producerId: info.producerId }, hub.byPeer(sessionId, info.peerId));
    });
    session.on('consumerclosed', (peerId, consumerId) => {
      hub.byPeer(sessionId, peerId)?.send({ type: 'consumer.closed', sessionId, consumerId });
    });
    session.on('score', (peerId, score) => {
      hub.byPeer(sessionId, peerId)?.send({ type: 'score', sessionId, ...score });
    });
    session.once('close', (reason) => {
      if (reason === 'workerdied') {
        this.#o.logger.warn({ sessionId }, 'media worker died; peers rebuild their media');
        // Peers stay members; they re-join and re-produce on a fresh router.
        hub.deliver({ type: 'media.reset', sessionId, reason: 'workerdied' });
      }
    });
  }
}
