import type { types } from 'mediasoup';
import { EnhancedEventEmitter } from 'mediasoup/extras';
import type { MediaSession, SessionRegistry, TransportParams } from '@rvw/sfu';
import type { JoinResponse, LinkResponse } from '@rvw/protocol/responses';
import type { Principal } from '../auth/Principal.js';
import { AppError } from '../errors/AppError.js';
import type { Logger } from '../observability/logger.js';
import type { Connection } from '../ws/Connection.js';
import type { CallRole, CallServiceEvents } from './CallEvents.js';
import { CallMembership } from './CallMembership.js';
import { deskIdOf, DeskLinks, isDeskId, type DeskLink } from './DeskLinks.js';
import { GraceTimers } from './GraceTimers.js';
import { bridgeMediaEvents } from './mediaBridge.js';

export { isDeskId } from './DeskLinks.js';
export type { CallRole, CallServiceEvents } from './CallEvents.js';

/** How long a router opened ahead of an accept waits for someone to join or link it. */
const PREPARED_IDLE_MS = 60_000;

/**
 * How long a link waits for `desklinking` listeners (the recorder arming its consumers: tens of ms
 * with a recorder kept warm) before it starts the pictures regardless: the call never waits on a
 * recorder for longer than this.
 */
const LINK_HOLD_MS = 400;

/** An ICE server as the browser's RTCPeerConnection takes it. */
export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

/** The sockets of this node as calls see them: who holds a peer, who is in or linked to a call. */
export interface CallSockets {
  /** The connection holding a peer id in a session (directly or through a linked desk), if any. */
  byPeer(sessionId: string, peerId: string): Connection | undefined;
  /** Connections in a media session. */
  inSession(sessionId: string): Connection[];
  /** Desk connections linked to a call. */
  linkedTo(sessionId: string): Connection[];
}

/** Options for {@link CallService}. */
export interface CallServiceOptions {
  registry: SessionRegistry;
  /** The node's sockets (the Hub), read to find who holds a peer; calls never deliver through it. */
  hub: CallSockets;
  /**
   * Decides whether the principal belongs to the session (case) and in which role; throws AppError.
   * `desk.link`: the principal links its desk to the call, which only the clerk holding the case may.
   */
  authorizeJoin: (principal: Principal, sessionId: string, action?: 'session.join' | 'desk.link') => Promise<CallRole>;
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
export type JoinResult = JoinResponse;

/** What session.link answers. */
export type LinkResult = LinkResponse;

/**
 * Who is in which call: joins (and resumes after a reconnect), leaves, hang-ups, and the grace
 * period after a socket vanished. Its parts: CallMembership (members and peer ownership),
 * GraceTimers, DeskLinks (a clerk's desk piped into a call) and the media bridge (MediaSession
 * events as call events). What the sockets must hear is emitted as typed events
 * ({@link CallServiceEvents}); the socket edge maps them to protocol messages.
 */
export class CallService extends EnhancedEventEmitter<CallServiceEvents> {
  readonly #o: CallServiceOptions;
  readonly #members = new CallMembership();
  readonly #grace: GraceTimers;
  readonly #links: DeskLinks;
  /** Routers opened ahead of an accept (see {@link prepare}): the desks that want each, its idle timer. */
  readonly #prepared = new Map<string, { desks: Set<string>; timer: ReturnType<typeof setTimeout> | undefined }>();

  constructor(options: CallServiceOptions) {
    super();
    this.#o = options;
    this.#grace = new GraceTimers({ graceMs: options.peerGraceMs });
    this.#links = new DeskLinks({ sessionOf: (id) => options.registry.get(id), logger: options.logger });
    options.registry.on('sessioncreated', (session) => {
      bridgeMediaEvents(session, { events: this, links: this.#links, logger: options.logger });
      this.#links.syncSession(session.id);
      // A desk's track that starts after its queue was prepared is staged too.
      if (isDeskId(session.id)) session.on('producernew', () => this.#stageDesk(session.id));
    });
  }

  /** Joins (or resumes) the call of `sessionId` for this connection. */
  async join(conn: Connection, sessionId: string, peerId: string, resumeTransportIds: string[] = [], rtpCapabilities?: types.RtpCapabilities): Promise<JoinResult> {
    const role = await this.#o.authorizeJoin(conn.principal, sessionId);
    return this.#enter(conn, sessionId, peerId, role, resumeTransportIds, rtpCapabilities);
  }

  /** Joins (or resumes) the clerk's desk for this connection: standby media, linked to a case on accept. */
  async joinDesk(conn: Connection, peerId: string, resumeTransportIds: string[] = [], rtpCapabilities?: types.RtpCapabilities): Promise<JoinResult> {
    const deskId = deskIdOf(this.#o.authorizeDesk(conn.principal), peerId);
    const result = await this.#enter(conn, deskId, peerId, 'clerk', resumeTransportIds, rtpCapabilities);
    // A desk taken back after a reconnect is still linked to its call.
    conn.linkedSessionId = this.#links.byDesk(deskId)?.caseId;
    return result;
  }

  /**
   * Links the connection's desk to the call of a case the clerk holds: the clerk appears in the
   * call as a peer, and both sides' producers are piped across. Idempotent (a reconnected page
   * links again); a desk is linked to one call at a time.
   */
  async link(conn: Connection, caseId: string): Promise<LinkResult> {
    await this.#o.authorizeJoin(conn.principal, caseId, 'desk.link');
    // Read after the await: the socket may have left its desk meanwhile.
    const deskId = conn.sessionId;
    const peerId = conn.peerId;
    if (!deskId || !isDeskId(deskId) || !peerId) throw new AppError('NOT_IN_SESSION', '请先进入坐席 (desk.join first)', 409);
    this.#members.claim(caseId, peerId, conn.principalKey);
    const previous = this.#links.byDesk(deskId);
    if (previous && previous.caseId !== caseId) this.#unlink(previous, 'left');
    const other = this.#links.byCase(caseId);
    if (other && other.deskId !== deskId) this.#unlink(other, 'left');
    const link = this.#links.open(deskId, caseId, peerId);
    conn.linkedSessionId = caseId;
    if (this.#members.roleOf(caseId, peerId) !== 'clerk') {
      this.#members.add(caseId, peerId, 'clerk');
      this.safeEmit('peerjoined', { sessionId: caseId, peerId, role: 'clerk' });
    }
    await this.#o.registry.getOrCreate(caseId);
    await this.#beforeLink(caseId, deskId, peerId);
    await this.#links.sync(link);
    this.safeEmit('desklinked', { sessionId: caseId, peerId });
    return { sessionId: caseId, peers: this.#members.others(caseId, peerId) };
  }

  /** Lets `desklinking` listeners finish what must precede the call's pictures, for at most LINK_HOLD_MS. */
  async #beforeLink(caseId: string, deskId: string, peerId: string): Promise<void> {
    const work: Promise<unknown>[] = [];
    this.safeEmit('desklinking', { sessionId: caseId, deskId, peerId, waitUntil: (p) => work.push(p) });
    if (work.length === 0) return;
    const startedAt = Date.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = await Promise.race([
      Promise.allSettled(work).then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), LINK_HOLD_MS))),
    ]);
    clearTimeout(timer);
    if (late) this.#o.logger.warn({ caseId, waitedMs: Date.now() - startedAt }, 'link went ahead before its desklinking listeners were done');
  }

  /** The clerk's peer of the desk linked to a case's call on this node, if one is (this node serves the case). */
  clerkPeerOf(caseId: string): string | undefined {
    return this.#links.byCase(caseId)?.peerId;
  }

  /**
   * The case has a new holder (转办): a desk on this node linked to its call whose clerk no longer
   * holds the case leaves the call now; the new holder links its own desk when it takes over.
   */
  releaseFormerHolder(caseId: string, holderStaffId: string | undefined): void {
    const link = this.#links.byCase(caseId);
    if (!link) return;
    const desk = this.#o.hub.linkedTo(caseId).find((c) => c.sessionId === link.deskId);
    const staffId = desk?.principal.kind === 'staff' ? desk.principal.staffId : undefined;
    if (desk && staffId !== holderStaffId) this.#unlink(link, 'transferred');
  }

  /** The case a desk connection is linked to, or its own session: what session.end ends. */
  callOf(conn: Connection): string | undefined {
    return conn.linkedSessionId ?? (isDeskId(conn.sessionId) ? undefined : conn.sessionId);
  }

  async #enter(
    conn: Connection,
    sessionId: string,
    peerId: string,
    role: CallRole,
    resumeTransportIds: string[],
    rtpCapabilities: types.RtpCapabilities | undefined,
  ): Promise<JoinResult> {
    this.#members.claim(sessionId, peerId, conn.principalKey);
    if (conn.sessionId && conn.sessionId !== sessionId) this.leave(conn);
    const session = await this.#o.registry.getOrCreate(sessionId);
    // Claimed again after the await: the first claim may have gone with a session ended meanwhile.
    this.#members.claim(sessionId, peerId, conn.principalKey);
    this.#grace.cancel(sessionId, peerId);
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
    const isNew = this.#members.add(sessionId, peerId, role);
    if (isNew || !resumed) this.safeEmit('peerjoined', { sessionId, peerId, role });
    // Consumers made while the socket was away were announced to nobody: announce them again.
    if (rtpCapabilities && resumed) void session.pushConsumers(peerId, { again: true });
    return {
      sessionId,
      rtpCapabilities: session.rtpCapabilities,
      resumed,
      producers: session.listProducers(peerId),
      peers: this.#members.others(sessionId, peerId),
      iceServers: this.#o.iceServers(conn.principal),
    };
  }

  /**
   * Creates a WebRTC transport for the connection's peer, within the principal's budget of RTC
   * ports across all its sessions on this node (the session itself caps per peer and per session).
   */
  async createTransport(conn: Connection, direction: 'send' | 'recv'): Promise<TransportParams> {
    const { session, peerId } = this.mediaOf(conn);
    const limit = this.#o.transportsPerPrincipal;
    if (limit !== undefined && this.#transportsOf(conn.principalKey) >= limit) {
      throw new AppError('BUDGET_EXCEEDED', `媒体通道已达上限（${limit}），请关闭多余的页面后重试 (too many transports)`, 429, { budget: 'transportsPerPrincipal', limit });
    }
    // No await between the check and the session counting the new transport as pending.
    return await session.createWebRtcTransport(peerId, direction);
  }

  /** RTC ports a principal holds on this node (created and being created). */
  #transportsOf(principalKey: string): number {
    let n = 0;
    for (const { sessionId, peerId } of this.#members.peersOf(principalKey)) {
      const session = this.#o.registry.get(sessionId);
      if (session && !session.closed) n += session.peerTransportCount(peerId);
    }
    return n;
  }

  /** The RTP capabilities every router of this node has (same codecs everywhere). */
  routerCapabilities(): Promise<types.RtpCapabilities> {
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

  /**
   * Opens the routers of the calls a desk on this node may accept next (the head of its queue),
   * ahead of the accept. When the counter sits on another node, the call's pipe from there opens
   * now and brings the counter's tracks (held back: black frames or nothing, never the
   * applicant's picture), so accepting only links the desk: the node-to-node round trips leave
   * the accept's path. Nothing reaches a clerk before the link. A prepared router closes, unless
   * someone joined or linked it, once no desk here has it at the head of its queue any more (taken
   * by a clerk elsewhere, left the queue) or after `idleMs` without being asked for again.
   */
  async prepare(deskId: string, caseIds: readonly string[], idleMs = PREPARED_IDLE_MS): Promise<void> {
    for (const [caseId, prepared] of this.#prepared) {
      if (!caseIds.includes(caseId) && prepared.desks.delete(deskId) && !prepared.desks.size) this.#unprepare(caseId);
    }
    for (const caseId of caseIds) {
      const known = this.#prepared.get(caseId);
      if (!known && this.#o.registry.get(caseId)) continue;
      const prepared = known ?? { desks: new Set<string>(), timer: undefined };
      prepared.desks.add(deskId);
      clearTimeout(prepared.timer);
      prepared.timer = setTimeout(() => this.#unprepare(caseId), idleMs);
      this.#prepared.set(caseId, prepared);
      if (!known) {
        const session = await this.#o.registry.getOrCreate(caseId);
        session.once('close', () => {
          clearTimeout(this.#prepared.get(caseId)?.timer);
          this.#prepared.delete(caseId);
        });
      }
    }
    this.#stageDesk(deskId);
  }

  /**
   * Pipes the desk's tracks into the calls prepared for it, held back (not adopted: nobody there
   * sees them, nothing is exported), so the accept's link adopts them without pipe round trips.
   */
  #stageDesk(deskId: string): void {
    const desk = this.#o.registry.get(deskId);
    const peerId = desk ? this.#o.hub.inSession(deskId).find((c) => c.sessionRole === 'clerk')?.peerId : undefined;
    if (!desk || !peerId) return;
    for (const [caseId, prepared] of this.#prepared) {
      const call = this.#o.registry.get(caseId);
      if (!prepared.desks.has(deskId) || !call || this.#links.byCase(caseId)) continue;
      void desk.prepareLinkTo(call, peerId).catch((e: Error) => this.#o.logger.debug({ err: e.message, caseId }, 'staging desk copies failed'));
    }
  }

  /** Forgets a prepared router, closing it unless someone here joined or linked it. */
  #unprepare(caseId: string): void {
    clearTimeout(this.#prepared.get(caseId)?.timer);
    this.#prepared.delete(caseId);
    if (this.#members.isEmpty(caseId) && !this.#links.byCase(caseId)) this.#o.registry.close(caseId);
  }

  /** Ends the call for everyone: media closed, both sides told. */
  end(sessionId: string, reason: string): void {
    // Told while the sockets are still in the call, so the message finds them.
    this.safeEmit('sessionended', { sessionId, reason });
    for (const c of this.#o.hub.inSession(sessionId)) {
      c.sessionId = undefined;
      c.peerId = undefined;
      c.sessionRole = undefined;
    }
    const link = this.#links.byCase(sessionId);
    // The clerk's desk stays (ready for the next call); only the link goes.
    if (link) this.#forgetLink(link);
    this.#members.forget(sessionId);
    this.#grace.cancelSession(sessionId);
    this.#o.registry.close(sessionId);
  }

  /** A socket closed: keep its media for the grace period, then remove the peer. */
  onConnectionClosed(conn: Connection): void {
    const { sessionId, peerId } = conn;
    if (!sessionId || !peerId) return;
    this.#grace.start(sessionId, peerId, () => {
      // Only if nobody took this peer back in the meantime.
      if (!this.#o.hub.byPeer(sessionId, peerId)) this.#removePeer(sessionId, peerId, 'timeout');
    });
  }

  /** Clears timers; the registry is closed by its owner. */
  close(): void {
    this.#grace.clear();
    for (const { timer } of this.#prepared.values()) clearTimeout(timer);
    this.#prepared.clear();
  }

  #removePeer(sessionId: string, peerId: string, reason: 'left' | 'timeout' | 'transferred'): void {
    // A desk going away takes its clerk out of the linked call.
    const link = this.#links.byDesk(sessionId);
    if (link) this.#unlink(link, reason);
    this.#o.registry.get(sessionId)?.closePeer(peerId);
    const { wasMember, empty } = this.#members.remove(sessionId, peerId);
    if (wasMember) this.safeEmit('peerleft', { sessionId, peerId, reason });
    // The last one out closes the router so nothing lingers on the worker.
    if (empty) this.#o.registry.close(sessionId);
  }

  /** Ends a link: the clerk leaves the call (the counter is told), pipes in both directions close. */
  #unlink(link: DeskLink, reason: 'left' | 'timeout' | 'transferred'): void {
    this.#forgetLink(link);
    this.#removePeer(link.caseId, link.peerId, reason);
  }

  #forgetLink(link: DeskLink): void {
    for (const c of this.#o.hub.linkedTo(link.caseId)) if (c.sessionId === link.deskId) c.linkedSessionId = undefined;
    this.#links.forget(link);
  }
}
