import type { types } from 'mediasoup';
import type { MediaSession, SessionRegistry } from '@rvw/sfu';
import type { Principal } from '../auth/Principal.js';
import { AppError } from '../errors/AppError.js';
import type { Logger } from '../observability/logger.js';
import type { Connection } from '../ws/Connection.js';
import type { Hub } from '../ws/Hub.js';

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
  /** Decides whether the principal may keep a desk (standby media); returns its owner key; throws AppError. */
  authorizeDesk: (principal: Principal) => string;
  /** How long a vanished peer keeps its media before it is removed and the other side told. */
  peerGraceMs: number;
  /** RTC ports (WebRTC transports) one principal may hold across its sessions on this node. */
  transportsPerPrincipal?: number;
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

/** What session.link answers. */
export interface LinkResult {
  sessionId: string;
  peers: { peerId: string; role: 'counter' | 'clerk' }[];
}

/** A clerk's desk linked to the call of a case: producers are piped both ways while it lasts. */
interface DeskLink {
  deskId: string;
  caseId: string;
  /** The clerk's peer id, in the desk and in the case. */
  peerId: string;
  /** Pipe work for this link runs one step at a time. */
  chain: Promise<void>;
}

/** Session ids of desks start with this; case ids never contain a colon. */
const DESK_PREFIX = 'desk:';

/** True for the session id of a clerk's desk. */
export const isDeskId = (sessionId: string | undefined): boolean => !!sessionId?.startsWith(DESK_PREFIX);

/**
 * Who is in which call: joins (and resumes after a reconnect), leaves, hang-ups, and the grace
 * period after a socket vanished. Bridges MediaSession events to the sockets of the session.
 *
 * A clerk's page keeps a **desk**: a media session of its own, joined at page load, whose
 * transports are connected and whose tracks are produced but held back. Accepting a case links
 * the desk to the case's session: each side's producers are piped into the other's router
 * (MediaSession.pipeProducerTo), so the call starts without a single DTLS handshake or produce
 * negotiation on the clerk's side. The counter does the same by connecting while it waits.
 */
export class CallService {
  readonly #o: CallServiceOptions;
  /** sessionId → peerId → role */
  readonly #members = new Map<string, Map<string, 'counter' | 'clerk'>>();
  /** sessionId → peerId → principal key: a peer id belongs to the principal that first used it. */
  readonly #owners = new Map<string, Map<string, string>>();
  readonly #graceTimers = new Map<string, NodeJS.Timeout>();
  readonly #linksByDesk = new Map<string, DeskLink>();
  readonly #linksByCase = new Map<string, DeskLink>();

  constructor(options: CallServiceOptions) {
    this.#o = options;
    options.registry.on('sessioncreated', (session) => {
      this.#wire(session);
      const link = this.#linkOf(session.id);
      if (link) void this.#sync(link);
    });
  }

  /** Joins (or resumes) the call of `sessionId` for this connection. */
  async join(conn: Connection, sessionId: string, peerId: string, resumeTransportIds: string[] = [], rtpCapabilities?: types.RtpCapabilities): Promise<JoinResult> {
    const role = await this.#o.authorizeJoin(conn.principal, sessionId);
    return this.#enter(conn, sessionId, peerId, role, resumeTransportIds, rtpCapabilities);
  }

  /** Joins (or resumes) the clerk's desk for this connection: standby media, linked to a case on accept. */
  async joinDesk(conn: Connection, peerId: string, resumeTransportIds: string[] = [], rtpCapabilities?: types.RtpCapabilities): Promise<JoinResult> {
    const owner = this.#o.authorizeDesk(conn.principal);
    const deskId = `${DESK_PREFIX}${owner}:${peerId}`;
    const result = await this.#enter(conn, deskId, peerId, 'clerk', resumeTransportIds, rtpCapabilities);
    // A desk taken back after a reconnect is still linked to its call.
    conn.linkedSessionId = this.#linksByDesk.get(deskId)?.caseId;
    return result;
  }

  /**
   * Links the connection's desk to the call of a case the clerk holds: the clerk appears in the
   * call as a peer, and both sides' producers are piped across. Idempotent (a reconnected page
   * links again); a desk is linked to one call at a time.
   */
  async link(conn: Connection, caseId: string): Promise<LinkResult> {
    const role = await this.#o.authorizeJoin(conn.principal, caseId);
    if (role !== 'clerk') throw new AppError('FORBIDDEN', '只有受理该办件的工作人员可以接入 (clerks only)', 403);
    // Read after the await: the socket may have left its desk meanwhile.
    const deskId = conn.sessionId;
    const peerId = conn.peerId;
    if (!deskId || !isDeskId(deskId) || !peerId) throw new AppError('NOT_IN_SESSION', '请先进入坐席 (desk.join first)', 409);
    this.#claimPeer(conn, caseId, peerId);
    const previous = this.#linksByDesk.get(deskId);
    if (previous && previous.caseId !== caseId) this.#unlink(previous, 'left');
    const other = this.#linksByCase.get(caseId);
    if (other && other.deskId !== deskId) this.#unlink(other, 'left');
    let link = this.#linksByDesk.get(deskId);
    if (!link) {
      link = { deskId, caseId, peerId, chain: Promise.resolve() };
      this.#linksByDesk.set(deskId, link);
      this.#linksByCase.set(caseId, link);
    }
    conn.linkedSessionId = caseId;
    const members = this.#membersOf(caseId);
    if (members.get(peerId) !== 'clerk') {
      members.set(peerId, 'clerk');
      this.#o.hub.deliver({ type: 'peer.joined', sessionId: caseId, peerId, role: 'clerk' }, conn);
    }
    await this.#o.registry.getOrCreate(caseId);
    await this.#sync(link);
    return { sessionId: caseId, peers: [...members].filter(([p]) => p !== peerId).map(([p, r]) => ({ peerId: p, role: r })) };
  }

  /** The case a desk connection is linked to, or its own session: what session.end ends. */
  callOf(conn: Connection): string | undefined {
    return conn.linkedSessionId ?? (isDeskId(conn.sessionId) ? undefined : conn.sessionId);
  }

  async #enter(
    conn: Connection,
    sessionId: string,
    peerId: string,
    role: 'counter' | 'clerk',
    resumeTransportIds: string[],
    rtpCapabilities: types.RtpCapabilities | undefined,
  ): Promise<JoinResult> {
    this.#claimPeer(conn, sessionId, peerId);
    if (conn.sessionId && conn.sessionId !== sessionId) this.leave(conn);
    const session = await this.#o.registry.getOrCreate(sessionId);
    // Claimed again after the await: the first claim may have gone with a session ended meanwhile.
    this.#claimPeer(conn, sessionId, peerId);
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
    // Receiving slots for what the other side of a future link will send (see enablePush): a desk
    // waits for an applicant, a counter in the queue for a clerk's desk.
    if (rtpCapabilities) session.enablePush(peerId, rtpCapabilities, { slots: isDeskId(sessionId) ? ['face', 'document', 'mic'] : role === 'counter' ? ['face', 'mic'] : [] });
    conn.sessionId = sessionId;
    conn.peerId = peerId;
    conn.sessionRole = role;
    const members = this.#membersOf(sessionId);
    const isNew = !members.has(peerId);
    members.set(peerId, role);
    if (isNew || !resumed) this.#o.hub.deliver({ type: 'peer.joined', sessionId, peerId, role }, conn);
    // Consumers made while the socket was away were announced to nobody: announce them again.
    if (rtpCapabilities && resumed) void session.pushConsumers(peerId, { again: true });
    return {
      sessionId,
      rtpCapabilities: session.rtpCapabilities,
      resumed,
      producers: session.listProducers(peerId),
      peers: [...members].filter(([p]) => p !== peerId).map(([p, r]) => ({ peerId: p, role: r })),
      iceServers: this.#o.iceServers(conn.principal),
    };
  }

  /**
   * Takes a peer id in a session for the connection's principal, or refuses PEER_NOT_OWNED when
   * another principal uses it: a participant who read the other side's peer id from `peers[]`
   * cannot join with it and so evict that side. The same principal reconnecting takes it back.
   */
  #claimPeer(conn: Connection, sessionId: string, peerId: string): void {
    let owners = this.#owners.get(sessionId);
    if (!owners) {
      owners = new Map();
      this.#owners.set(sessionId, owners);
    }
    const owner = owners.get(peerId);
    if (owner !== undefined && owner !== conn.principalKey) {
      throw new AppError('PEER_NOT_OWNED', '该终端标识已被其他用户使用，请刷新页面后重试 (peer id belongs to someone else)', 409);
    }
    owners.set(peerId, conn.principalKey);
  }

  /**
   * Creates a WebRTC transport for the connection's peer, within the principal's budget of RTC
   * ports across all its sessions on this node (the session itself caps per peer and per session).
   */
  async createTransport(conn: Connection, direction: 'send' | 'recv'): Promise<unknown> {
    const { session, peerId } = this.mediaOf(conn);
    const limit = this.#o.transportsPerPrincipal;
    const key = conn.principalKey;
    if (limit !== undefined && this.#transportsOf(key) >= limit) {
      throw new AppError('BUDGET_EXCEEDED', `媒体通道已达上限（${limit}），请关闭多余的页面后重试 (too many transports)`, 429, { budget: 'transportsPerPrincipal', limit });
    }
    // No await between the check and the session counting the new transport as pending.
    return await session.createWebRtcTransport(peerId, direction);
  }

  /** RTC ports a principal holds on this node (created and being created). */
  #transportsOf(key: string): number {
    let n = 0;
    for (const [sessionId, owners] of this.#owners) {
      const session = this.#o.registry.get(sessionId);
      if (!session || session.closed) continue;
      for (const [peerId, owner] of owners) if (owner === key) n += session.peerTransportCount(peerId);
    }
    return n;
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
    const link = this.#linksByCase.get(sessionId);
    // The clerk's desk stays (ready for the next call); only the link goes.
    if (link) this.#forgetLink(link);
    this.#members.delete(sessionId);
    this.#owners.delete(sessionId);
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
    // A desk going away takes its clerk out of the linked call.
    const link = this.#linksByDesk.get(sessionId);
    if (link) this.#unlink(link, reason);
    this.#o.registry.get(sessionId)?.closePeer(peerId);
    const members = this.#members.get(sessionId);
    if (members?.delete(peerId)) this.#o.hub.deliver({ type: 'peer.left', sessionId, peerId, reason });
    this.#owners.get(sessionId)?.delete(peerId);
    // The last one out closes the router so nothing lingers on the worker.
    if (members && members.size === 0) {
      this.#members.delete(sessionId);
      this.#owners.delete(sessionId);
      this.#o.registry.close(sessionId);
    }
  }

  #linkOf(sessionId: string): DeskLink | undefined {
    return this.#linksByDesk.get(sessionId) ?? this.#linksByCase.get(sessionId);
  }

  /** Pipes whatever is missing across the link (both directions); one run at a time per link. */
  #sync(link: DeskLink): Promise<void> {
    link.chain = link.chain.then(async () => {
      if (this.#linksByDesk.get(link.deskId) !== link) return;
      const desk = this.#o.registry.get(link.deskId);
      const call = this.#o.registry.get(link.caseId);
      if (!desk || !call || desk.closed || call.closed) return;
      const todo = [
        ...desk.ownProducers().filter((p) => p.peerId === link.peerId && !call.hasCopyOf(p.producerId)).map((p) => ({ p, from: desk, to: call })),
        ...call.ownProducers().filter((p) => p.peerId !== link.peerId && !desk.hasCopyOf(p.producerId)).map((p) => ({ p, from: call, to: desk })),
      ];
      // Pictures first, then sound: each phase is piped in parallel, then each side's consumers of
      // it are announced as one batch (one renegotiation on the client).
      for (const kind of ['video', 'audio'] as const) {
        const piped = await Promise.allSettled(todo.filter(({ p }) => p.kind === kind).map(({ p, from, to }) => from.pipeProducerTo(p.producerId, to)));
        // A producer may close while being piped (a screen share stopped): that one is simply gone.
        for (const r of piped) {
          if (r.status === 'rejected') this.#o.logger.debug({ err: (r.reason as Error).message, caseId: link.caseId }, 'pipe skipped');
        }
        await Promise.all([call.pushToOthers(link.peerId), desk.pushConsumers(link.peerId)]);
      }
    });
    return link.chain;
  }

  /** Ends a link: the clerk leaves the call (the counter is told), pipes in both directions close. */
  #unlink(link: DeskLink, reason: 'left' | 'timeout'): void {
    this.#forgetLink(link);
    this.#removePeer(link.caseId, link.peerId, reason);
  }

  #forgetLink(link: DeskLink): void {
    if (this.#linksByDesk.get(link.deskId) === link) this.#linksByDesk.delete(link.deskId);
    if (this.#linksByCase.get(link.caseId) === link) this.#linksByCase.delete(link.caseId);
    for (const c of this.#o.hub.linkedTo(link.caseId)) if (c.sessionId === link.deskId) c.linkedSessionId = undefined;
    this.#o.registry.get(link.deskId)?.dropImportsFrom(link.caseId);
    this.#o.registry.get(link.caseId)?.dropImportsFrom(link.deskId);
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
      // A new track on either side of a link is piped to the other (piped copies are not re-piped).
      const link = this.#linkOf(sessionId);
      if (link && session.isOwnProducer(producer.producerId)) void this.#sync(link);
    });
    session.on('producerclosed', (info) => {
      hub.deliver({ type: 'producer.closed', sessionId, producerId: info.producerId }, hub.byPeer(sessionId, info.peerId));
    });
    session.on('consumernew', (peerId, consumers, transportId) => {
      hub.byPeer(sessionId, peerId)?.send({ type: 'consumers.new', sessionId, transportId, consumers });
    });
    session.on('consumerclosed', (peerId, consumerId) => {
      hub.byPeer(sessionId, peerId)?.send({ type: 'consumer.closed', sessionId, consumerId });
    });
    session.on('score', (peerId, score) => {
      hub.byPeer(sessionId, peerId)?.send({ type: 'score', sessionId, ...score });
    });
    session.once('close', (reason) => {
      // What this session sent across a link is gone with it (the link stays: a rebuilt session
      // on a fresh router is piped again when it is created).
      const link = this.#linkOf(sessionId);
      if (link) this.#o.registry.get(link.deskId === sessionId ? link.caseId : link.deskId)?.dropImportsFrom(sessionId);
      if (reason === 'workerdied') {
        this.#o.logger.warn({ sessionId }, 'media worker died; peers rebuild their media');
        // Peers stay members; they re-join and re-produce on a fresh router.
        hub.deliver({ type: 'media.reset', sessionId, reason: 'workerdied' });
      }
    });
  }
}
