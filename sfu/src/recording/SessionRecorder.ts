import { EventEmitter } from 'node:events';
import { mkdir } from 'node:fs/promises';
import type { types } from 'mediasoup';
import { TrackRecorder, type TrackRecorderOptions } from './TrackRecorder.js';
import type { RecordedSegment, RecordedSource, RecorderLogger, SegmentEndReason, SessionRecorderEvents } from './types.js';

export interface SessionRecorderOptions {
  /** The session's router; when it closes (worker death, rebuild) every segment ends with 'router-closed'. */
  router: types.Router;
  /** Directory the segments are written to (created if missing). */
  dir: string;
  sessionId: string;
  logger: RecorderLogger;
  ffmpegPath?: string;
  /** See TrackRecorderOptions.via (an interposed hop, e.g. loss injection in tests). */
  via?: TrackRecorderOptions['via'];
  /** The node's recorders started ahead (see RecorderPool). */
  pool?: TrackRecorderOptions['pool'];
}

/**
 * Records every track of one session's router: one TrackRecorder (one file) per producer added.
 * A producer that closes ends its segment; the same producer id kept across an ICE restart or a
 * reconnect keeps its segment. A closed router ends all segments; the node starts a new
 * SessionRecorder on the new router, which starts new segments.
 */
export class SessionRecorder extends EventEmitter<SessionRecorderEvents> {
  readonly #o: SessionRecorderOptions;
  readonly #tracks = new Map<string, TrackRecorder>();
  readonly #pending = new Set<Promise<unknown>>();
  #stopped = false;

  private constructor(o: SessionRecorderOptions) {
    super();
    this.#o = o;
    o.router.observer.once('close', () => void this.#endAll('router-closed'));
  }

  static async start(o: SessionRecorderOptions): Promise<SessionRecorder> {
    await mkdir(o.dir, { recursive: true });
    return new SessionRecorder(o);
  }

  get sessionId(): string {
    return this.#o.sessionId;
  }

  get closed(): boolean {
    return this.#stopped;
  }

  /** Producer ids being recorded now. */
  get producerIds(): string[] {
    return [...this.#tracks.keys()];
  }

  /** Process ids of the running recorders (for CPU accounting by the node's metrics or a bench). */
  get recorderPids(): number[] {
    return [...this.#tracks.values()].flatMap((t) => (t.pid === null ? [] : [t.pid]));
  }

  /**
   * Resolves when every track added so far is being recorded (recorder listening, consumer resumed,
   * keyframe requested) — the node may hold a call's first frame on it.
   */
  get ready(): Promise<void> {
    return Promise.all([...this.#tracks.values()].map((t) => t.ready)).then(() => undefined);
  }

  /** Starts recording `producer`; resolves when its recorder is ready. Adding a recorded producer again is a no-op. */
  async add(producer: types.Producer, opts: { source: RecordedSource }): Promise<void> {
    if (this.#stopped) throw new Error('session recorder stopped');
    const existing = this.#tracks.get(producer.id);
    if (existing !== undefined) return existing.ready;
    const track = new TrackRecorder({
      router: this.#o.router,
      producer,
      source: opts.source,
      sessionId: this.#o.sessionId,
      dir: this.#o.dir,
      logger: this.#o.logger,
      ...(this.#o.ffmpegPath !== undefined ? { ffmpegPath: this.#o.ffmpegPath } : {}),
      ...(this.#o.via !== undefined ? { via: this.#o.via } : {}),
      ...(this.#o.pool !== undefined ? { pool: this.#o.pool } : {}),
    });
    this.#tracks.set(producer.id, track);
    track.once('ended', (segment, reason) => {
      if (this.#tracks.get(producer.id) === track) this.#tracks.delete(producer.id);
      this.#report(segment, reason);
    });
    try {
      await track.ready;
      this.#o.logger.info({ sessionId: this.#o.sessionId, producerId: producer.id, source: opts.source, warm: track.warm }, 'recording track');
    } catch (err) {
      this.#tracks.delete(producer.id);
      this.#track(track.stop('recorder-failed').then((s) => this.#report(s, 'recorder-failed')));
      throw err;
    }
  }

  /** Ends `producerId`'s segment (e.g. the producer is replaced); the segment is reported when closed. */
  remove(producerId: string): Promise<void> {
    const track = this.#tracks.get(producerId);
    if (track === undefined) return Promise.resolve();
    this.#tracks.delete(producerId);
    const done = track.stop('removed').then((s) => this.#report(s, 'removed'));
    this.#track(done);
    return done;
  }

  /** Ends every segment; resolves once all files are closed, valid and hashed. */
  async stop(): Promise<void> {
    await this.#endAll('stopped');
  }

  async #endAll(reason: SegmentEndReason): Promise<void> {
    this.#stopped = true;
    const tracks = [...this.#tracks.values()];
    this.#tracks.clear();
    for (const t of tracks) this.#track(t.stop(reason).then((s) => this.#report(s, reason)));
    // Segments ended on their own (producer closed) may still be closing: wait for those too.
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  #track(p: Promise<unknown>): void {
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  #reported = new WeakSet<object>();

  #report(segment: RecordedSegment | null, reason: SegmentEndReason): void {
    if (segment === null || this.#reported.has(segment)) return;
    this.#reported.add(segment);
    this.#o.logger.info({ sessionId: segment.sessionId, file: segment.file, bytes: segment.bytes, reason }, 'recording segment closed');
    this.emit('segmentclosed', segment);
  }
}
