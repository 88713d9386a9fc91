import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { types } from 'mediasoup';
import type { RecorderPool } from './RecorderPool.js';
import { RecorderHost } from './RecorderHost.js';
import { recorderCodecFor, type RecorderCodec } from './recorderSdp.js';
import { TrackRecorder, type HoldForCall, type TrackRecorderOptions } from './TrackRecorder.js';
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
  pool?: RecorderPool;
  /**
   * Tracks added together (not paused) share one recorder process (see addAll and
   * RecorderHost); false gives every track its own. Default true.
   */
  shareProcess?: boolean;
}

/** A track to record. */
export interface TrackToRecord {
  producer: types.Producer;
  source: RecordedSource;
  /**
   * The router the producer lives in, when it is not the session's: a clerk's desk linked to the
   * call, whose own tracks are recorded there rather than as their copies in the call.
   */
  router?: types.Router;
}

/** Options for {@link SessionRecorder.addAll}. */
export interface AddAllOptions {
  /**
   * The tracks are armed before the call starts them (the desk's link): each picture's consumer
   * waits, paused, and is resumed just before the call starts the picture, so they share its first
   * keyframe (see TrackRecorderOptions.holdForCall). addAll then resolves once every track is armed.
   */
  holdForCall?: HoldForCall;
}

/** Tries at starting (or restarting) one track's recorder before it is given up. */
const START_ATTEMPTS = 3;

/**
 * Records every track of one session's router: one TrackRecorder (one file) per producer added;
 * tracks added together share one recorder process (addAll).
 * A producer that closes ends its segment; the same producer id kept across an ICE restart or a
 * reconnect keeps its segment. A closed router ends all segments; the node starts a new
 * SessionRecorder on the new router, which starts new segments.
 */
export class SessionRecorder extends EventEmitter<SessionRecorderEvents> {
  readonly #o: SessionRecorderOptions;
  readonly #tracks = new Map<string, TrackRecorder>();
  readonly #pending = new Set<Promise<unknown>>();
  /** Recorders that ended under a live track without writing anything, by producer, in a row. */
  readonly #failures = new Map<string, number>();
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

  /** Process ids of the running recorders, each once (for CPU accounting by the node's metrics or a bench). */
  get recorderPids(): number[] {
    return [...new Set([...this.#tracks.values()].flatMap((t) => (t.pid === null ? [] : [t.pid])))];
  }

  /**
   * Resolves when every track added so far is being recorded (recorder listening, consumer resumed,
   * keyframe requested) — the node may hold a call's first frame on it.
   */
  get ready(): Promise<void> {
    return Promise.all([...this.#tracks.values()].map((t) => t.ready)).then(() => undefined);
  }

  /** True when `producerId` is being recorded now. */
  has(producerId: string): boolean {
    return this.#tracks.has(producerId);
  }

  /**
   * Starts recording `producer` in a recorder of its own (`router`: where it lives, if not in the
   * session's router); resolves when it is ready. Adding a recorded producer again is a no-op.
   */
  async add(producer: types.Producer, opts: { source: RecordedSource; router?: types.Router }): Promise<void> {
    if (this.#stopped) throw new Error('session recorder stopped');
    await this.#addOne({ producer, source: opts.source, ...(opts.router !== undefined ? { router: opts.router } : {}) });
  }

  async #addOne(track: TrackToRecord, options: AddAllOptions = {}, attempt = 1): Promise<void> {
    const existing = this.#tracks.get(track.producer.id);
    if (existing !== undefined) return existing.ready;
    try {
      const { host, warm } = await this.#host([recorderCodecFor(this.#routerOf(track), track.producer)]);
      await this.#run(host, warm, [track], options);
    } catch (e) {
      // A recorder started cold on a loaded node can miss its listen timeout: try again (up to
      // START_ATTEMPTS in all), or the track goes unrecorded for the rest of the call.
      if (attempt >= START_ATTEMPTS || this.#stopped || track.producer.closed) throw e;
      this.#o.logger.warn({ err: (e as Error).message, sessionId: this.#o.sessionId, producerId: track.producer.id, attempt }, 'recorder did not start: trying again');
      await this.#addOne(track, options, attempt + 1);
    }
  }

  /**
   * A track whose recorder ended under it while its producer lives (its process failed, was killed
   * or died) goes on in a process of its own: now, or when the producer resumes if it is paused (a
   * picture that sends nothing would fail the new one at its probe). Bounded: a recorder that keeps
   * failing without writing anything is given up.
   */
  #recordAgain(track: TrackToRecord, wrote: boolean): void {
    const id = track.producer.id;
    const failures = wrote ? 0 : (this.#failures.get(id) ?? 0) + 1;
    this.#failures.set(id, failures);
    if (failures >= START_ATTEMPTS) {
      this.#o.logger.warn({ sessionId: this.#o.sessionId, producerId: id }, 'recorder keeps failing: the track is not recorded further');
      return;
    }
    const again = () => {
      if (this.#stopped || track.producer.closed || this.#tracks.has(id)) return;
      this.#o.logger.warn({ sessionId: this.#o.sessionId, producerId: id }, 'recorder ended under a live track: recording it again');
      void this.#addOne(track).catch((e: Error) => this.#o.logger.warn({ err: e.message, producerId: id }, 'recording a track failed'));
    };
    if (track.producer.paused) track.producer.observer.once('resume', again);
    else again();
  }

  #routerOf(track: TrackToRecord): types.Router {
    return track.router ?? this.#o.router;
  }

  /**
   * Starts recording several tracks at once (a call's tracks at 受理): those not paused share one
   * recorder process, about half the CPU of one each (see RecorderHost); paused ones get their
   * own. Whether a picture is sending cannot decide it: at 受理 none has sent yet (each starts on
   * its consumers' keyframe request, a desk's copy on the call's first consumer). ffmpeg fails a
   * whole process when one of its pictures stays dark through its probe (a camera that sends
   * nothing); then each track of it is recorded again by a process of its own —
   * the start of the session (at most the probe, 3 s) is lost, and the gap shows in the segments.
   * Resolves when every track is being recorded — or, with `holdForCall`, armed to start with
   * the call's first keyframe.
   */
  async addAll(tracks: TrackToRecord[], options: AddAllOptions = {}): Promise<void> {
    if (this.#stopped) throw new Error('session recorder stopped');
    const fresh = tracks.filter((t, i) => !this.#tracks.has(t.producer.id) && !t.producer.closed && tracks.findIndex((x) => x.producer.id === t.producer.id) === i);
    // A paused producer sends nothing, and would fail a shared process at the end of its probe.
    // Pictures first, then voices: the order of the m-lines of the processes kept warm (CallRecordings).
    const together = this.#o.shareProcess === false ? [] : fresh.filter((t) => !t.producer.paused).sort((a, b) => (a.producer.kind === b.producer.kind ? 0 : a.producer.kind === 'video' ? -1 : 1));
    const alone = fresh.filter((t) => !together.includes(t));
    const jobs = alone.map((t) => this.#addOne(t, options));
    const codecs = together.map((t) => recorderCodecFor(this.#routerOf(t), t.producer));
    // With a pool, only a process started ahead is worth sharing: one started now costs the
    // session's first second or two (ffmpeg's start), where single warm ones cost nothing.
    if (together.length >= 2 && (this.#o.pool === undefined || this.#o.pool.has(codecs))) {
      jobs.push(
        this.#host(codecs)
          .then(({ host, warm }) => this.#run(host, warm, together, options))
          // Not started together (a producer closed meanwhile, the process failed to start): each alone.
          .catch(async (e: Error) => {
            if (this.#stopped) throw e;
            this.#o.logger.warn({ err: e.message, sessionId: this.#o.sessionId }, 'shared recorder did not start: recording the tracks alone');
            await Promise.all(together.filter((t) => !t.producer.closed).map((t) => this.#addOne(t, options)));
          }),
      );
    } else jobs.push(...together.map((t) => this.#addOne(t, options)));
    const settled = await Promise.allSettled(jobs);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  /** A recorder process of this shape: a warm one from the pool, else one started now. */
  async #host(codecs: RecorderCodec[]): Promise<{ host: RecorderHost; warm: boolean }> {
    const taken = this.#o.pool?.take(codecs);
    if (taken !== undefined) return { host: taken, warm: true };
    const base = `${this.#o.sessionId}-${Date.now()}-${randomBytes(3).toString('hex')}`;
    return { host: await RecorderHost.spawn({ codecs, dir: this.#o.dir, base, ...(this.#o.ffmpegPath !== undefined ? { ffmpegPath: this.#o.ffmpegPath } : {}) }), warm: false };
  }

  /** Records `tracks` through m-lines 0… of `host`; resolves when all are ready. */
  async #run(host: RecorderHost, warm: boolean, tracks: TrackToRecord[], options: AddAllOptions = {}): Promise<void> {
    if (this.#stopped) {
      await host.discard();
      throw new Error('session recorder stopped');
    }
    const recorders = tracks.map(
      (track, index) =>
        new TrackRecorder({
          router: this.#routerOf(track),
          producer: track.producer,
          source: track.source,
          sessionId: this.#o.sessionId,
          logger: this.#o.logger,
          host,
          index,
          warm,
          ...(options.holdForCall !== undefined ? { holdForCall: options.holdForCall } : {}),
          ...(this.#o.via !== undefined ? { via: this.#o.via } : {}),
        }),
    );
    recorders.forEach((track, i) => {
      const { producer, router } = tracks[i]!;
      this.#tracks.set(track.producerId, track);
      track.once('ended', (segment, reason) => {
        if (this.#tracks.get(track.producerId) === track) this.#tracks.delete(track.producerId);
        this.#report(segment, reason);
        if (reason === 'recorder-failed' && !this.#stopped && !producer.closed) this.#recordAgain({ producer, source: track.source, ...(router !== undefined ? { router } : {}) }, segment !== null);
      });
    });
    const results = await Promise.allSettled(recorders.map((t) => t.ready));
    results.forEach((r, i) => {
      const track = recorders[i]!;
      if (r.status === 'fulfilled') this.#o.logger.info({ sessionId: this.#o.sessionId, producerId: track.producerId, source: track.source, warm, shared: track.shared }, 'recording track');
    });
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) {
      // Not started: every track of the process ends (a failed one keeps no file).
      for (const track of recorders) {
        if (this.#tracks.get(track.producerId) === track) this.#tracks.delete(track.producerId);
        this.#track(track.stop('recorder-failed').then((s) => this.#report(s, 'recorder-failed')));
      }
      throw (failed as PromiseRejectedResult).reason;
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
