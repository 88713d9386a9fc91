import type { MediaSession, SessionRegistry, StartRecordingOptions } from '@rvw/sfu';
import { recorderCodecOf, type RecordedSegment, type RecordedSource, type RecorderPool, type SessionRecorder } from '@rvw/sfu/recording/index';
import { isDeskId } from '../calls/DeskLinks.js';
import type { CallService } from '../calls/CallService.js';
import type { CaseService } from '../cases/CaseService.js';
import type { RecordingAuditAction } from '../cases/recordRecordingEvent.js';
import type { Logger } from '../observability/logger.js';
import type { RecordingStore } from './RecordingStore.js';

/** A desk being linked to a call: its clerk's tracks are recorded with the call's (MediaSession.startRecording). */
type Linking = NonNullable<StartRecordingOptions['linking']>;

/** Options for {@link CallRecordings}. */
export interface CallRecordingsOptions {
  nodeId: string;
  registry: SessionRegistry;
  calls: Pick<CallService, 'on' | 'clerkPeerOf'>;
  cases: Pick<CaseService, 'recordRecordingEvent' | 'getCase'>;
  store: RecordingStore;
  logger: Logger;
  /** Counters for /metrics. */
  onSegment?: (segment: RecordedSegment) => void;
  onFailure?: () => void;
  /** A call not recorded because its case carries no consent (opened where recording was off). */
  onNoConsent?: () => void;
  /**
   * Recorders started ahead, kept warm while a clerk's desk is open on this node (a call can be
   * accepted here): a call's tracks are then recorded from its first frame, without ffmpeg's
   * start-up on the way. Absent: each track starts its own recorder at 受理.
   */
  pool?: RecorderPool;
}

/**
 * Recorders kept ready while desks are open: a call's three pictures and two voices in one
 * process (the tracks there at the desk's link share one, see SessionRecorder.addAll), and single
 * ones for tracks that come alone: a screen share, a camera turned on later, and a whole call
 * re-formed after its worker died, whose five tracks come back one by one (a recorder started
 * cold then, on a node busy re-forming calls, took seconds and missed the start).
 */
const WARM = [
  { mimeTypes: ['video/VP8', 'video/VP8', 'video/VP8', 'audio/opus', 'audio/opus'], count: 2 },
  { mimeTypes: ['video/VP8'], count: 3 },
  { mimeTypes: ['audio/opus'], count: 2 },
];

/**
 * How long an armed picture waits for the call to start it (its first keyframe request) before it
 * asks for its own keyframe: longer than a link takes to start its pictures, also across nodes.
 */
const HOLD_FOR_CALL_MS = 1000;

/**
 * Records every call on the node of its serving region: the node where the clerk's desk is linked
 * to the call (the counter's node, in a call across regions, records nothing). Every track of the
 * call is recorded — the counter's in the call's router (imported through the pipe when the
 * counter is on another node), the clerk's in the desk's router where they are produced — armed
 * as the desk is being linked, before the pictures start, so that the call's first keyframes are
 * the recording's too. A call whose desk is linked later (a rebuilt router) records the clerk's
 * copies in the call's router; a router rebuilt
 * after its worker died is recorded anew, and the interruption goes into the audit chain as a
 * gap. Each closed segment is stored under its SHA-256, which goes into the chain.
 */
export class CallRecordings {
  readonly #o: CallRecordingsOptions;
  readonly #recording = new WeakSet<MediaSession>();
  /** The recorders of the calls recorded here now. */
  readonly #recorders = new Set<SessionRecorder>();
  /** Cases recorded on this node, for `recording.started` once. */
  readonly #started = new Set<string>();
  /** Cases whose recording a worker death interrupted: since when. */
  readonly #interrupted = new Map<string, number>();
  /** The clerk's tracks recorded in their desk's router, by case: they end when the clerk leaves the call. */
  readonly #deskTracks = new Map<string, { recorder: SessionRecorder; peerId: string; producerIds: string[] }>();

  constructor(options: CallRecordingsOptions) {
    this.#o = options;
    // As the desk is being linked, before any picture starts: both sides' tracks are there, and
    // start together in one recorder process (SessionRecorder.addAll). desklinked catches a call
    // whose arming was skipped (its router was created by the link itself).
    options.calls.on('desklinking', ({ sessionId, deskId, peerId, waitUntil }) => waitUntil(this.#arm(sessionId, deskId, peerId)));
    options.calls.on('desklinked', ({ sessionId }) => void this.#ensure(sessionId));
    options.calls.on('peerleft', ({ sessionId, peerId }) => {
      const desk = this.#deskTracks.get(sessionId);
      if (desk?.peerId !== peerId) return;
      // The desk was unlinked, the call goes on (another clerk may take it): the clerk's own tracks end here.
      this.#deskTracks.delete(sessionId);
      for (const id of desk.producerIds) void desk.recorder.remove(id);
    });
    options.registry.on('sessioncreated', (session) => {
      if (isDeskId(session.id)) return this.#warm(session.rtpCapabilities);
      void this.#ensure(session.id);
    });
    options.registry.on('sessionclosed', (sessionId) => {
      // The last desk here closed: no call will be accepted here, nothing needs to wait warm.
      if (isDeskId(sessionId) && !options.registry.all().some((s) => isDeskId(s.id) && !s.closed)) void options.pool?.drain();
    });
  }

  #warm(routerCapabilities: MediaSession['rtpCapabilities']): void {
    const pool = this.#o.pool;
    if (!pool) return;
    pool.keepWarm(WARM.flatMap((w) => {
      const codecs = w.mimeTypes.map((m) => recorderCodecOf(routerCapabilities, m));
      return codecs.every((c) => c !== undefined) ? [{ codecs, count: w.count }] : [];
    }));
  }

  /** Recorder processes writing this node's calls now (each once; for /metrics). */
  get processes(): number {
    let n = 0;
    for (const r of this.#recorders) if (!r.closed) n += r.recorderPids.length;
    return n;
  }

  /** Active recordings (calls being recorded here). */
  get active(): number {
    let n = 0;
    for (const id of this.#started) if (this.#o.registry.get(id)) n += 1;
    return n;
  }

  /**
   * The desk is about to be linked: the call's recording is armed now, the clerk's own tracks in
   * the desk's router with the call's. Resolves once armed (the link waits for it, bounded).
   */
  #arm(caseId: string, deskId: string, clerkPeer: string): Promise<void> {
    const desk = this.#o.registry.get(deskId);
    const t0 = Date.now();
    return this.#ensure(caseId, clerkPeer, desk && !desk.closed ? { desk, peerId: clerkPeer, holdForCallMs: HOLD_FOR_CALL_MS } : undefined).then((started) => {
      if (started) this.#o.logger.info({ caseId, armMs: Date.now() - t0 }, 'recording armed');
    });
  }

  /**
   * Starts recording the call if it is not recorded yet; resolves once its tracks are being
   * recorded (or armed): true if this call started the recorder.
   */
  #ensure(caseId: string, clerkPeer = this.#o.calls.clerkPeerOf(caseId), linking?: Linking): Promise<boolean> {
    const session = this.#o.registry.get(caseId);
    if (!clerkPeer || !session || session.closed || this.#recording.has(session)) return Promise.resolve(false);
    this.#recording.add(session);
    return this.#o.cases.getCase(caseId).then(
      (record) => {
        // Only what the applicant agreed to is recorded: a case opened by a node that does not
        // record (so showed no notice) is not recorded here either.
        if (record.recordingConsent) return this.#record(caseId, clerkPeer, session, linking);
        this.#o.onNoConsent?.();
        this.#o.logger.warn({ caseId }, 'call not recorded: the case carries no recording consent');
        return false;
      },
      (e: Error) => {
        this.#o.onFailure?.();
        this.#o.logger.error({ err: e.message, caseId }, 'recording could not start: case unreadable');
        return false;
      },
    );
  }

  /** Starts the recorder; resolves once the tracks present are recorded or armed, true if it started (never rejects). */
  #record(caseId: string, clerkPeer: string, session: MediaSession, linking: Linking | undefined): Promise<boolean> {
    if (session.closed) return Promise.resolve(false);
    const { logger, store } = this.#o;
    const sourceOf = (p: { peerId: string; source: string }): RecordedSource =>
      p.peerId === clerkPeer && (p.source === 'face' || p.source === 'mic') ? (p.source === 'face' ? 'clerk_face' : 'clerk_mic') : (p.source as RecordedSource);
    session.once('close', (reason) => {
      if (!this.#started.has(caseId)) return;
      if (reason === 'workerdied') {
        this.#interrupted.set(caseId, Date.now());
        void this.#audit(caseId, 'recording.interrupted', { reason: 'worker_died' });
      } else {
        // The call ended here; if it re-forms on this node, recording starts again.
        this.#started.delete(caseId);
        void this.#audit(caseId, 'recording.stopped', {});
      }
    });
    const deskProducerIds = linking ? linking.desk.ownProducers().filter((p) => p.peerId === linking.peerId).map((p) => p.producerId) : [];
    const started = session.startRecording({ dir: store.liveDir, logger, sourceOf, ...(this.#o.pool ? { pool: this.#o.pool } : {}), ...(linking ? { linking } : {}) });
    void started
      .then(async (recorder) => {
        this.#recorders.add(recorder);
        if (deskProducerIds.length > 0) this.#deskTracks.set(caseId, { recorder, peerId: clerkPeer, producerIds: deskProducerIds });
        session.once('close', () => {
          this.#recorders.delete(recorder);
          if (this.#deskTracks.get(caseId)?.recorder === recorder) this.#deskTracks.delete(caseId);
        });
        recorder.on('segmentclosed', (segment) => void this.#keep(caseId, segment));
        const since = this.#interrupted.get(caseId);
        this.#interrupted.delete(caseId);
        if (since !== undefined) await this.#audit(caseId, 'recording.gap', { from: since, to: Date.now(), reason: 'worker_died' });
        if (!this.#started.has(caseId)) {
          this.#started.add(caseId);
          await this.#audit(caseId, 'recording.started', { nodeId: this.#o.nodeId });
        }
      })
      .catch((e: Error) => {
        this.#o.onFailure?.();
        logger.error({ err: e.message, caseId }, 'recording could not start');
      });
    return started.then(
      () => true,
      () => false,
    );
  }

  async #keep(caseId: string, segment: RecordedSegment): Promise<void> {
    try {
      const r = await this.#o.store.add(caseId, segment, this.#o.nodeId);
      this.#o.onSegment?.(segment);
      await this.#audit(caseId, 'recording.segment', {
        sha256: r.sha256,
        bytes: r.bytes,
        source: r.source,
        codec: r.codec,
        startedAt: r.startedAt,
        endedAt: r.endedAt,
        firstPacketAt: r.firstPacketAt,
        reason: r.reason,
      });
    } catch (e) {
      this.#o.onFailure?.();
      this.#o.logger.error({ err: (e as Error).message, caseId, file: segment.file }, 'a recorded segment could not be kept');
    }
  }

  #audit(caseId: string, action: RecordingAuditAction, data: Record<string, unknown>): Promise<unknown> {
    return this.#o.cases.recordRecordingEvent(caseId, this.#o.nodeId, action, data).catch((e: Error) => this.#o.logger.error({ err: e.message, caseId, action }, 'recording audit event not written'));
  }
}
