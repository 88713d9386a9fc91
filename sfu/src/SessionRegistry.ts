import type { types } from 'mediasoup';
import { EnhancedEventEmitter } from 'mediasoup/extras';
import { MEDIA_CODECS } from './mediaCodecs.js';
import { MediaSession } from './MediaSession.js';
import type { TransportListenOptions } from './MediaSessionTypes.js';
import { PictureStarts } from './PictureStarts.js';
import type { WorkerPool } from './WorkerPool.js';

/** Events of a {@link SessionRegistry}. */
export type SessionRegistryEvents = {
  /** A session was created (first peer joined). */
  sessioncreated: [session: MediaSession];
  /** A session closed; `workerdied` means its peers must rebuild their media. */
  sessionclosed: [sessionId: string, reason: 'closed' | 'workerdied'];
};

/**
 * The live media sessions of this node, by session (case) id. Concurrent joins of the same
 * session share one creation, so two peers never end up on two routers.
 */
export class SessionRegistry extends EnhancedEventEmitter<SessionRegistryEvents> {
  readonly #sessions = new Map<string, MediaSession>();
  readonly #pending = new Map<string, Promise<MediaSession>>();
  /** Shared by the sessions of this node: a pipe is started by the session at either end of it. */
  readonly #pictureStarts = new PictureStarts();

  constructor(
    private readonly pool: WorkerPool,
    private readonly listen: TransportListenOptions,
  ) {
    super();
  }

  #capabilities: Promise<types.RtpCapabilities> | undefined;

  /**
   * The RTP capabilities of this node's routers, computed once with a short-lived router: they
   * depend only on MEDIA_CODECS, so clients can load their Device before any call exists.
   */
  capabilities(): Promise<types.RtpCapabilities> {
    this.#capabilities ??= this.pool.createRouter({ mediaCodecs: MEDIA_CODECS }).then((router) => {
      const caps = router.rtpCapabilities;
      router.close();
      return caps;
    });
    this.#capabilities.catch(() => (this.#capabilities = undefined));
    return this.#capabilities;
  }

  /** The live session, if any. */
  get(sessionId: string): MediaSession | undefined {
    return this.#sessions.get(sessionId);
  }

  /** Number of live sessions. */
  get size(): number {
    return this.#sessions.size;
  }

  /** All live sessions. */
  all(): MediaSession[] {
    return [...this.#sessions.values()];
  }

  /** Returns the live session or creates it on the least-loaded worker. */
  async getOrCreate(sessionId: string): Promise<MediaSession> {
    const existing = this.#sessions.get(sessionId);
    if (existing && !existing.closed) return existing;
    const pending = this.#pending.get(sessionId);
    if (pending) return pending;
    const creating = MediaSession.create({ sessionId, pool: this.pool, listen: this.listen, pictureStarts: this.#pictureStarts })
      .then((session) => {
        this.#sessions.set(sessionId, session);
        session.once('close', (reason) => {
          if (this.#sessions.get(sessionId) === session) this.#sessions.delete(sessionId);
          this.safeEmit('sessionclosed', sessionId, reason);
        });
        this.safeEmit('sessioncreated', session);
        return session;
      })
      .finally(() => this.#pending.delete(sessionId));
    this.#pending.set(sessionId, creating);
    return creating;
  }

  /** Closes one session (hang-up); idempotent. */
  close(sessionId: string): void {
    this.#sessions.get(sessionId)?.close();
  }

  /** Closes every session. */
  closeAll(): void {
    for (const s of [...this.#sessions.values()]) s.close();
  }
}
