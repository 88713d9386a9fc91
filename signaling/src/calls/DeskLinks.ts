import type { MediaSession } from '@rvw/sfu';
import type { Logger } from '../observability/logger.js';

/** Session ids of desks start with this; case ids never contain a colon. */
const DESK_PREFIX = 'desk:';

/** True for the session id of a clerk's desk. */
export const isDeskId = (sessionId: string | undefined): boolean => !!sessionId?.startsWith(DESK_PREFIX);

/** The session id of a clerk's desk: one per principal and page (peer id). */
export const deskIdOf = (owner: string, peerId: string): string => `${DESK_PREFIX}${owner}:${peerId}`;

/** A clerk's desk linked to the call of a case: producers are piped both ways while it lasts. */
export interface DeskLink {
  deskId: string;
  caseId: string;
  /** The clerk's peer id, in the desk and in the case. */
  peerId: string;
  /** Pipe work for this link runs one step at a time. */
  chain: Promise<void>;
}

/** Options for {@link DeskLinks}. */
export interface DeskLinksOptions {
  /** The live media session of an id (the node's SessionRegistry.get). */
  sessionOf: (sessionId: string) => MediaSession | undefined;
  logger: Logger;
}

/**
 * The links between clerks' desks and calls on this node. A desk is the clerk page's own media
 * session, joined at page load, whose transports are connected and whose tracks are produced but
 * held back; linking it to a case's session pipes each side's producers into the other's router
 * (MediaSession.pipeProducerTo), so the call starts without a single DTLS handshake or produce
 * negotiation on the clerk's side. A desk is linked to one call at a time, a call to one desk.
 */
export class DeskLinks {
  readonly #o: DeskLinksOptions;
  readonly #byDesk = new Map<string, DeskLink>();
  readonly #byCase = new Map<string, DeskLink>();

  constructor(options: DeskLinksOptions) {
    this.#o = options;
  }

  /** The link of a desk, if any. */
  byDesk(deskId: string): DeskLink | undefined {
    return this.#byDesk.get(deskId);
  }

  /** The link into a call, if any. */
  byCase(caseId: string): DeskLink | undefined {
    return this.#byCase.get(caseId);
  }

  /** The link a session takes part in, from either end. */
  of(sessionId: string): DeskLink | undefined {
    return this.#byDesk.get(sessionId) ?? this.#byCase.get(sessionId);
  }

  /** The desk's link to `caseId`, made if there is none (the caller unlinked any other first). */
  open(deskId: string, caseId: string, peerId: string): DeskLink {
    let link = this.#byDesk.get(deskId);
    if (!link) {
      link = { deskId, caseId, peerId, chain: Promise.resolve() };
      this.#byDesk.set(deskId, link);
      this.#byCase.set(caseId, link);
    }
    return link;
  }

  /** Forgets a link: the copies piped across it, both ways, close. */
  forget(link: DeskLink): void {
    if (this.#byDesk.get(link.deskId) === link) this.#byDesk.delete(link.deskId);
    if (this.#byCase.get(link.caseId) === link) this.#byCase.delete(link.caseId);
    this.#o.sessionOf(link.deskId)?.dropImportsFrom(link.caseId);
    this.#o.sessionOf(link.caseId)?.dropImportsFrom(link.deskId);
  }

  /**
   * A linked session closed: what it sent across is gone with it. The link stays: a rebuilt
   * session on a fresh router is piped again when it is created.
   */
  sessionClosed(sessionId: string): void {
    const link = this.of(sessionId);
    if (link) this.#o.sessionOf(link.deskId === sessionId ? link.caseId : link.deskId)?.dropImportsFrom(sessionId);
  }

  /** Pipes whatever is missing across the link (both directions); one run at a time per link. */
  sync(link: DeskLink): Promise<void> {
    link.chain = link.chain.then(async () => {
      if (this.#byDesk.get(link.deskId) !== link) return;
      const desk = this.#o.sessionOf(link.deskId);
      const call = this.#o.sessionOf(link.caseId);
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

  /** Syncs the link a session takes part in, if any (a session was created or got a new track). */
  syncSession(sessionId: string): void {
    const link = this.of(sessionId);
    if (link) void this.sync(link);
  }
}
