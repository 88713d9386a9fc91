import type { MediaSession, SessionRegistry } from '@rvw/sfu';
import { recorderCodecOf, type RecordedSegment, type RecordedSource, type RecorderPool, type SessionRecorder } from '@rvw/sfu/recording/index';
import { isDeskId } from '../calls/DeskLinks.js';
import type { CallService } from '../calls/CallService.js';
import type { CaseService } from '../cases/CaseService.js';
import type { RecordingAuditAction } from '../cases/recordRecordingEvent.js';
import type { Logger } from '../observability/logger.js';
import type { RecordingStore } from './RecordingStore.js';

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
 * process (the tracks there at the desk's link share one, see SessionRecorder.addAll), and single ones for
 * a track that comes alone (a screen share, a camera turned on later).
 */
const WARM = [
  { mimeTypes: ['video/VP8', 'video/VP8', 'video/VP8', 'audio/opus', 'audio/opus'], count: 2 },
  { mimeTypes: ['video/VP8'], count: 2 },
  { mimeTypes: ['audio/opus'], count: 1 },
];

/**
 * Records every call on the node of its serving region: the node where the clerk's desk is linked
 * to the call (the counter's node, in a call across regions, records nothing). Every track of the
 * call's router is recorded — the counter's (imported through the pipe when the counter is on
 * another node) and the clerk's copies — from the moment the desk is linked; a router rebuilt
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

  constructor(options: CallRecordingsOptions) {
    this.#o = options;
    // Once the desk's tracks are in the call too: the tracks present then start together, in one
    // recorder process (SessionRecorder.addAll).
    options.calls.on('desklinked', ({ sessionId }) => this.#ensure(sessionId));
    options.registry.on('sessioncreated', (session) => {
      if (isDeskId(session.id)) return this.#warm(session.rtpCapabilities);
      this.#ensure(session.id);
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

  #ensure(caseId: string): void {
    const clerkPeer = this.#o.calls.clerkPeerOf(caseId);
    const session = this.#o.registry.get(caseId);
    if (!clerkPeer || !session || session.closed || this.#recording.has(session)) return;
    this.#recording.add(session);
    void this.#o.cases.getCase(caseId).then(
      (record) => {
        // Only what the applicant agreed to is recorded: a case opened by a node that does not
        // record (so showed no notice) is not recorded here either.
        if (record.recordingConsent) return this.#record(caseId, clerkPeer, session);
        this.#o.onNoConsent?.();
        this.#o.logger.warn({ caseId }, 'call not recorded: the case carries no recording consent');
      },
      (e: Error) => {
        this.#o.onFailure?.();
        this.#o.logger.error({ err: e.message, caseId }, 'recording could not start: case unreadable');
      },
    );
  }

  #record(caseId: string, clerkPeer: string, session: MediaSession): Promise<void> | undefined {
    if (session.closed) return;
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
    return session
      .startRecording({ dir: store.liveDir, logger, sourceOf, ...(this.#o.pool ? { pool: this.#o.pool } : {}) })
      .then(async (recorder) => {
        this.#recorders.add(recorder);
        session.once('close', () => this.#recorders.delete(recorder));
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
