import type { types } from 'mediasoup';
import { EnhancedEventEmitter } from 'mediasoup/extras';
import { ConsumerPush } from './ConsumerPush.js';
import { startWhenConnected } from './keyframeGate.js';
import { PictureStarts } from './PictureStarts.js';
import { MEDIA_CODECS } from './mediaCodecs.js';
import type {
  ConsumerParams,
  DataChannelParams,
  MediaSessionCounts,
  PlainTransportParams,
  MediaSessionEvents,
  MediaSource,
  ProducerInfo,
  TransportListenOptions,
  TransportParams,
} from './MediaSessionTypes.js';
import { consumerParams, PeerMedia, type ConsumerAppData, type OwnedProducer, type PeerTransport, type PipedCopy } from './PeerMedia.js';
import { ReceivingSlots } from './ReceivingSlots.js';
import { RegionPipe, type PipedProducer, type RegionPipeOptions } from './RegionPipe.js';
import { SessionRecorder, type SessionRecorderOptions } from './recording/SessionRecorder.js';
import type { RecordedSource } from './recording/types.js';
import { SessionPipes, type HeldFeed, type PipeInlet } from './SessionPipes.js';
import { SfuError } from './SfuError.js';
import type { WorkerPool } from './WorkerPool.js';

/** Least spacing of keyframe requests to a browser sender (see produce). */
const KEYFRAME_REQUEST_SPACING_MS = 350;

/** Options for {@link MediaSession.startRecording}. */
export interface StartRecordingOptions extends Omit<SessionRecorderOptions, 'router' | 'sessionId'> {
  /** What each track is, for the files' names and the audit (the node knows which peer is the clerk). */
  sourceOf: (p: ProducerInfo) => RecordedSource;
  /** A clerk's desk about to be linked to the call (see startRecording). */
  linking?: { desk: MediaSession; peerId: string; holdForCallMs: number };
}

/** Options for {@link MediaSession.create}. */
export interface MediaSessionOptions {
  /** The session id; for a call it is the case id. */
  sessionId: string;
  pool: WorkerPool;
  listen: TransportListenOptions;
  /** The node's picture starts, shared by its sessions (SessionRegistry); a session of its own by default. */
  pictureStarts?: PictureStarts;
}

/**
 * The media side of one call: a Router on the least-loaded worker and each peer's transports,
 * producers and consumers (PeerMedia). Every id a peer passes is looked up in that peer's own
 * maps, so a peer can never touch another peer's (or another session's) objects. `close()`
 * cascades and is idempotent.
 *
 * Its parts, each given narrow views of the session and heard through typed events:
 * - PeerMedia: one peer's transports, producers and consumers;
 * - SessionPipes: this session's producers piped into other sessions of the node;
 * - ReceivingSlots: tracks negotiated before anything feeds them (a desk waiting for a call);
 * - ConsumerPush: consumers the server creates and announces itself.
 */
export class MediaSession extends EnhancedEventEmitter<MediaSessionEvents> {
  readonly #router: types.Router;
  readonly #listen: TransportListenOptions;
  readonly #peers = new Map<string, PeerMedia>();
  readonly #slots: ReceivingSlots;
  readonly #push: ConsumerPush;
  readonly #pipes: SessionPipes;
  readonly #starts: PictureStarts;
  /** What other sessions' pipes see of this one. */
  readonly #inlet: PipeInlet;
  /** Desk copies staged into this router and not adopted (see SessionPipes.stage), by id. */
  readonly #stagedHere = new Map<string, { producer: types.Producer; peerId: string; source: MediaSource }>();
  /** Imports another node sent ahead of a link (its desk's staged copies), by id (see holdImport). */
  readonly #held = new Map<string, { imported: OwnedProducer; feed: HeldFeed | undefined }>();
  /** The session's data source for receive transports' data channels (created on first use). */
  #dataSource: Promise<types.DataProducer> | undefined;
  #closed = false;

  private constructor(
    /** The session id (the case id). */
    readonly id: string,
    router: types.Router,
    listen: TransportListenOptions,
    starts: PictureStarts,
  ) {
    super();
    this.#router = router;
    this.#listen = listen;
    this.#slots = new ReceivingSlots({
      router,
      isClosed: () => this.#closed,
      sourcesBesides: (peerId) => new Set(this.listProducers(peerId).map((p) => p.source)),
    });
    this.#slots.on('slotdropped', (receiver, consumerId) => this.safeEmit('consumerclosed', receiver, consumerId));
    this.#slots.on('slotsmade', () => void this.#feedHeldLate());
    this.#push = new ConsumerPush({
      peer: (peerId) => this.#peers.get(peerId),
      peers: () => this.#peers.values(),
      isClosed: () => this.#closed,
      ownerOf: (producerId) => this.#producerOwner(producerId),
      producersBesides: (peerId) => this.listProducers(peerId),
      consume: (peerId, transportId, producerId, caps) => this.consume(peerId, transportId, producerId, caps),
      slots: this.#slots,
    });
    this.#push.on('consumernew', (peerId, consumers, transportId) => this.safeEmit('consumernew', peerId, consumers, transportId));
    this.#starts = starts;
    this.#pipes = new SessionPipes({ sessionId: id, router, starts });
    this.#inlet = {
      router,
      isClosed: () => this.#closed,
      hasCopyOf: (producerId) => this.hasCopyOf(producerId),
      takeSlot: (owner) => this.#slots.take(owner),
      adopt: (peerId, copy) => this.#adopt(peerId, copy),
      slotTransport: (slot) => this.#peers.get(slot.receiver)?.transports.get(slot.consumer.appData.transportId),
      staged: (copy) => {
        if (this.#closed || copy.producer.closed) return;
        const id = copy.producer.id;
        this.#stagedHere.set(id, copy);
        copy.producer.observer.once('close', () => this.#stagedHere.delete(id));
        this.safeEmit('copystaged', { producerId: id, peerId: copy.peerId, kind: copy.producer.kind, source: copy.source });
      },
      releaseSlot: (slot) => this.#slots.giveBack(slot),
    };
    // A dead worker closes the router under us: the session is unusable and must be rebuilt.
    router.on('workerclose', () => this.#closeWith('workerdied'));
  }

  /** Creates the session's router on the pool's least-loaded worker. */
  static async create(options: MediaSessionOptions): Promise<MediaSession> {
    const router = await options.pool.createRouter({ mediaCodecs: MEDIA_CODECS, appData: { sessionId: options.sessionId } });
    return new MediaSession(options.sessionId, router, options.listen, options.pictureStarts ?? new PictureStarts());
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The router's RTP capabilities, for the client's `device.load()`. */
  get rtpCapabilities(): types.RtpCapabilities {
    return this.#router.rtpCapabilities;
  }

  /** PID of the worker hosting this session (tests kill it to exercise recovery). */
  get workerPid(): number | undefined {
    return (this.#router.appData as { workerPid?: number }).workerPid;
  }

  /** Live object counts; all zero after close. */
  counts(): MediaSessionCounts {
    let transports = 0, producers = 0, consumers = 0;
    for (const p of this.#peers.values()) {
      transports += p.transports.size;
      producers += p.producers.size;
      consumers += p.consumers.size;
    }
    return { peers: this.#peers.size, transports, producers, consumers };
  }

  /** Sources of the receiving slots nothing feeds yet (sorted), for tests and diagnostics. */
  idleSlots(): MediaSource[] {
    return this.#slots.idleSources();
  }

  /** WebRTC transports (RTC ports) of the session, those being created included. */
  transportCount(): number {
    let n = 0;
    for (const p of this.#peers.values()) n += p.transportCount;
    return n;
  }

  /** WebRTC transports of one peer, those being created included. */
  peerTransportCount(peerId: string): number {
    return this.#peers.get(peerId)?.transportCount ?? 0;
  }

  /** True when the peer has media objects here. */
  hasPeer(peerId: string): boolean {
    return this.#peers.has(peerId);
  }

  /** True when all the given transport ids still belong to the peer (used to resume after a reconnect). */
  peerHasTransports(peerId: string, transportIds: string[]): boolean {
    const peer = this.#peers.get(peerId);
    return !!peer && transportIds.length > 0 && transportIds.every((id) => peer.transports.has(id));
  }

  /** True when a copy of another session's producer has been piped in here. */
  hasCopyOf(producerId: string): boolean {
    for (const peer of this.#peers.values()) for (const e of peer.producers.values()) if (e.copyOf === producerId) return true;
    return false;
  }

  /** Producers sent into this session by its own peers' transports (not piped in from elsewhere). */
  ownProducers(): ProducerInfo[] {
    return this.listProducers().filter((p) => this.isOwnProducer(p.producerId));
  }

  /** True when the producer was produced in this session (false for piped-in and unknown ones). */
  isOwnProducer(producerId: string): boolean {
    const owner = this.#producerOwner(producerId);
    return owner !== undefined && owner.origin === undefined;
  }

  /**
   * Makes one of this session's own producers available in `target` (another session of this
   * node, any worker), fed into one of its receiving slots or piped into a copy (see
   * SessionPipes.pipe). A no-op when the target already has a copy.
   */
  async pipeProducerTo(producerId: string, target: MediaSession): Promise<void> {
    this.#assertOpen();
    const owner = this.#producerOwner(producerId);
    if (!owner || owner.origin !== undefined) throw SfuError.notFound('PRODUCER_NOT_FOUND', producerId);
    return this.#pipes.pipe(owner, target.#inlet);
  }

  /**
   * Readies a link of this session (a clerk's desk) to `target` (a call prepared at the head of its
   * queue) before the accept: the call's feeds into this desk's idle receiving slots are opened,
   * and the copies of the desk's own producers are made in the call, held back until
   * {@link pipeProducerTo} adopts them (SessionPipes.stage). A call with idle receiving slots (its
   * counter on this node) needs no copies: a slot is fed at the link at the cost of one consumer.
   */
  async prepareLinkTo(target: MediaSession, peerId: string): Promise<void> {
    if (this.#closed || target.#closed) return;
    target.#pipes.warmFeeds(this.#slots.idlePorts());
    if (target.idleSlots().length > 0) return;
    const own = this.ownProducers().filter((p) => p.peerId === peerId);
    await Promise.all(
      own.map((p) => {
        const owner = this.#producerOwner(p.producerId);
        return owner ? this.#pipes.stage(owner, target.#inlet) : undefined;
      }),
    );
  }

  /** Copies staged into other sessions and not yet adopted (diagnostics and tests). */
  get stagedCopies(): number {
    return this.#pipes.stagedCount;
  }

  /** Feeds open from this session's router to receiving-slot ports (diagnostics and tests). */
  get slotFeeds(): number {
    return this.#pipes.feedCount;
  }

  /**
   * Keyframe requests (PLI and FIR) this node has sent to the browser producing `producerId` so
   * far (diagnostics and tests: a call's start should cost one per picture).
   */
  async keyframeRequestsSent(producerId: string): Promise<number> {
    const owner = this.#producerOwner(producerId);
    if (!owner) throw SfuError.notFound('PRODUCER_NOT_FOUND', producerId);
    const stats = await owner.producer.getStats();
    return stats.reduce((n, s) => n + (s.pliCount ?? 0) + (s.firCount ?? 0), 0);
  }

  /** Closes every producer piped in from session `origin` (it closed, or the link between the two ended). */
  dropImportsFrom(origin: string): void {
    for (const peer of this.#peers.values()) {
      for (const entry of [...peer.producers.values()]) if (entry.origin === origin) entry.producer.close();
    }
  }

  /**
   * Opens this session's end of a pipe to the router another node keeps for the same session (a
   * call whose sides connected to different nodes). See RegionPipe; it closes with the router.
   */
  async openRegionPipe(options: Omit<RegionPipeOptions, 'router'>): Promise<RegionPipe> {
    this.#assertOpen();
    // What comes through it fills this session's idle slots (the queued counter's, for the clerk's
    // tracks): their feeds are opened now, off the accept's path.
    this.#pipes.warmFeeds(this.#slots.idlePorts());
    return RegionPipe.create({ ...options, router: this.#router });
  }

  /**
   * True for a producer imported from another node ({@link importProducer}): by its id here, or by
   * its id on that node when it was fed into a receiving slot (the slot's producer stands for it).
   */
  isRemoteProducer(producerId: string): boolean {
    if (this.#producerOwner(producerId)?.remote === true) return true;
    for (const peer of this.#peers.values()) for (const e of peer.producers.values()) if (e.remote && e.copyOf === producerId) return true;
    return false;
  }

  /** What may cross to another node: every producer here except those that came from one. */
  exportableProducers(): ProducerInfo[] {
    return this.listProducers().filter((p) => !this.isRemoteProducer(p.producerId));
  }

  /**
   * Desk copies staged here ahead of a link and not adopted yet: a region pipe may send them
   * ahead, held on the other node (holdImport there) until the link (see SessionMesh).
   */
  stagedCopiesHere(): ProducerInfo[] {
    return [...this.#stagedHere.values()].map((c) => ({ producerId: c.producer.id, peerId: c.peerId, kind: c.producer.kind, source: c.source }));
  }

  /**
   * Sends one of this session's producers (own, a desk's copy, or a desk's copy staged here) through a region pipe; the
   * answer is what the other node imports. A pipe sends each producer once (RegionPipe.export).
   */
  async exportProducer(pipe: RegionPipe, producerId: string): Promise<PipedProducer> {
    this.#assertOpen();
    const staged = this.#stagedHere.get(producerId);
    if (staged) return { ...(await pipe.export(staged.producer)), appData: { peerId: staged.peerId, source: staged.source } };
    const owner = this.#producerOwner(producerId);
    if (!owner || owner.remote) throw SfuError.notFound('PRODUCER_NOT_FOUND', producerId);
    const piped = await pipe.export(owner.producer);
    return { ...piped, appData: { peerId: owner.peerId, source: owner.source } };
  }

  /**
   * Starts the desk copies among `producerIds` once another node has imported them (SessionMesh).
   * A desk's copy waits paused for its first consumer (see SessionPipes.pipe), and starting it asks
   * the clerk's browser for a keyframe. The keyframe must find the import, and the slot feed, on the
   * other node: one that arrives before them is dropped there, and the import's own request — the
   * browser's second within 300 ms, which Chrome ignores — waits for keyFrameRequestDelay.
   */
  async startExported(producerIds: readonly string[]): Promise<void> {
    await Promise.all(
      producerIds.map((id) => {
        const pipe = this.#producerOwner(id)?.pipe;
        if (!pipe || pipe.closed || !pipe.paused) return undefined;
        this.#starts.starting(pipe.producerId);
        return pipe.resume().catch(() => undefined);
      }),
    );
  }

  /**
   * Re-creates another node's producer here (same id, same peer and source). A receiver waiting
   * for that source in an idle receiving slot (the queued counter, for the clerk's face and
   * microphone) gets it through the slot, as from a desk on this node (SessionPipes.feedImport);
   * otherwise the import is a producer of the peer, other idle slots of its source close first,
   * and the caller calls {@link pushToOthers} once per batch, so the receivers renegotiate once.
   */
  async importProducer(pipe: RegionPipe, piped: PipedProducer, owner: { peerId: string; source: MediaSource }): Promise<ProducerInfo> {
    const producer = await this.#import(pipe, piped);
    return this.#placeImport({ producer, source: owner.source, peerId: owner.peerId, remote: true });
  }

  /**
   * Re-creates another node's producer here ahead of its link: a desk's staged copy, sent while the
   * case waits (SessionMesh). It is held — no peer here has it, nobody is told — and, when a
   * receiver waits for its source in an idle receiving slot (the queued counter, for the clerk's
   * face), fed into that slot at once (SessionPipes.feedHeld), so that the link costs this node
   * nothing on the picture's path: the other node may start its copy at the accept without
   * waiting for an answer. Returns whether it feeds a slot. Closing it (pipe.unproduce: the case
   * was taken elsewhere, the desk moved on) gives the slot back. See {@link linkHeld}.
   */
  async holdImport(pipe: RegionPipe, piped: PipedProducer, owner: { peerId: string; source: MediaSource }): Promise<{ fed: boolean }> {
    this.#assertOpen();
    // Sent ahead again (the sender missed the answer): held once.
    const known = this.#held.get(piped.producerId);
    if (known) return { fed: this.heldFeeds(piped.producerId) };
    const producer = await this.#import(pipe, piped);
    const imported: OwnedProducer = { producer, source: owner.source, peerId: owner.peerId, remote: true };
    const held = { imported, feed: undefined as HeldFeed | undefined };
    this.#held.set(producer.id, held);
    producer.observer.once('close', () => {
      if (this.#held.get(producer.id) === held) this.#held.delete(producer.id);
    });
    const slot = this.#slots.take(imported);
    if (slot) held.feed = await this.#pipes.feedHeld(imported, this.#inlet, slot);
    if (producer.closed) held.feed?.pipe.close();
    return { fed: held.feed !== undefined && !producer.closed };
  }

  /** True while an import sent ahead waits here for its link ({@link holdImport}). */
  isHeld(producerId: string): boolean {
    return this.#held.has(producerId);
  }

  /** True while an import sent ahead waits for its link feeding a receiving slot. */
  heldFeeds(producerId: string): boolean {
    const feed = this.#held.get(producerId)?.feed;
    return feed !== undefined && !feed.pipe.closed;
  }

  /**
   * Receiving slots were made after imports held ahead came (the counter's receive transport came
   * after the desk's picture was sent ahead): those feeding none feed one now (heldfed).
   */
  async #feedHeldLate(): Promise<void> {
    for (const [id, held] of [...this.#held]) {
      if (this.heldFeeds(id) || held.imported.producer.closed) continue;
      const slot = this.#slots.take(held.imported);
      if (!slot) continue;
      const feed = await this.#pipes.feedHeld(held.imported, this.#inlet, slot);
      if (!feed) continue;
      // Linked or gone meanwhile: the feed goes (the slot back, or dropped if the import took its place).
      if (this.#held.get(id) !== held || held.imported.producer.closed) {
        feed.pipe.close();
        continue;
      }
      held.feed = feed;
      this.safeEmit('heldfed', id);
    }
  }

  /**
   * The link of imports held ahead ({@link holdImport}): each becomes the copy of its peer here —
   * the slot it feeds, or, when it feeds none (no idle slot then, or another desk's import held
   * it), placed as {@link importProducer} places a fresh one. Receivers without a slot get
   * consumers (one push per peer). Returns the ids linked; one that closed meanwhile is not.
   */
  async linkHeld(producerIds: readonly string[]): Promise<string[]> {
    this.#assertOpen();
    const linked: string[] = [];
    const pushTo = new Set<string>();
    for (const id of producerIds) {
      const held = this.#held.get(id);
      if (!held || held.imported.producer.closed) continue;
      this.#held.delete(id);
      const { imported } = held;
      if (held.feed && this.#pipes.adoptHeld(held.feed, imported, this.#inlet)) {
        this.#importSlotted(held.feed.slot, imported);
        linked.push(id);
        continue;
      }
      held.feed?.pipe.close();
      // Another desk's import, held ahead, may feed the slot this one needs: that desk lost the case.
      for (const other of this.#held.values()) {
        if (other.imported.source === imported.source && other.feed && !other.feed.adopted) other.feed.pipe.close();
      }
      const info = await this.#placeImport(imported).catch(() => undefined);
      if (!info) continue;
      linked.push(id);
      if (info.producerId === id) pushTo.add(imported.peerId);
    }
    for (const peerId of pushTo) if (!this.#closed) await this.pushToOthers(peerId);
    return linked;
  }

  /** Re-creates another node's producer in this router (same id); closed again if the session closed meanwhile. */
  async #import(pipe: RegionPipe, piped: PipedProducer): Promise<types.Producer> {
    this.#assertOpen();
    const producer = await pipe.import(piped);
    if (this.#closed) {
      producer.close();
      throw SfuError.sessionClosed(this.id);
    }
    return producer;
  }

  /**
   * An import goes into an idle receiving slot of its source when there is one (the slot's producer
   * stands for it), else it becomes a producer of its peer here (the caller pushes consumers).
   */
  async #placeImport(imported: OwnedProducer): Promise<ProducerInfo> {
    const { producer } = imported;
    const slot = this.#slots.take(imported);
    if (slot) {
      await this.#pipes.feedImport(imported, this.#inlet, slot).catch(() => undefined);
      if (slot.producer.closed || !this.hasCopyOf(producer.id)) slot.producer.close();
      else return this.#importSlotted(slot, imported);
    }
    if (this.#closed || producer.closed) throw SfuError.sessionClosed(this.id);
    return this.#addImport(producer, imported);
  }

  /** An import feeding a slot: the slot's producer stands for it, while the slot lives. */
  #importSlotted(slot: { producer: types.Producer }, imported: OwnedProducer): ProducerInfo {
    const { producer, peerId, source } = imported;
    // The slot goes before the import (the receiver rebuilt its transports): the import is
    // consumed directly from then on.
    slot.producer.observer.once('close', () => {
      if (this.#closed || producer.closed) return;
      this.#addImport(producer, { peerId, source });
      void this.pushToOthers(peerId);
    });
    return { producerId: slot.producer.id, peerId, kind: producer.kind, source };
  }

  /** An import becomes a producer of its peer here. */
  #addImport(producer: types.Producer, owner: { peerId: string; source: MediaSource }): ProducerInfo {
    const peer = this.#peer(owner.peerId);
    this.#slots.dropIdle(owner.source, owner.peerId);
    const info = peer.addRemoteProducer(producer, owner.source);
    this.safeEmit('producernew', info);
    return info;
  }

  /** A copy piped in from another session (or a slot-fed import) becomes a producer of `peerId` here. */
  #adopt(peerId: string, copy: PipedCopy): void {
    this.#stagedHere.delete(copy.producer.id);
    const peer = this.#peer(peerId);
    // Told before the new consumer is announced, so a receiver never shows an empty slot's track.
    this.#slots.dropIdle(copy.source, peerId);
    const info = peer.addPipedProducer(copy);
    this.safeEmit('producernew', info);
  }

  /**
   * Records every track of this session, those here now and those to come (see SessionRecorder:
   * one WebM per track, no transcoding), named by `sourceOf` (the node knows which peer is the
   * clerk). Resolves once the tracks present are being recorded (with `linking`: armed). The
   * recorder ends with the router (hang-up, worker death); a rebuilt session is recorded anew.
   *
   * `linking`: a clerk's desk of this node is about to be linked to this call. Its peer's own tracks
   * are recorded in the desk's router, together with this session's, and their copies here are not
   * recorded again; every picture is armed to start with the call's own first keyframe request, so
   * the recording has the call's first frame (TrackRecorderOptions.holdForCall, PictureStarts);
   * one the call does not start within `holdForCallMs` starts on its own. The caller ends
   * those tracks (SessionRecorder.remove) if the link ends before the call.
   */
  async startRecording(options: StartRecordingOptions): Promise<SessionRecorder> {
    this.#assertOpen();
    const { sourceOf, linking, ...rest } = options;
    const recorder = await SessionRecorder.start({ ...rest, router: this.#router, sessionId: this.id });
    const desk = linking?.desk;
    const deskTracks = desk
      ? desk.ownProducers().flatMap((info) => {
          const owner = info.peerId === linking!.peerId ? desk.#producerOwner(info.producerId) : undefined;
          return owner ? [{ producer: owner.producer, source: sourceOf(info), router: desk.#router }] : [];
        })
      : [];
    const fromDesk = new Set(deskTracks.map((t) => t.producer.id));
    // The desk's tracks being added (below): their copies are skipped until then, and afterwards
    // as long as the recorder has them (a clerk who leaves and comes back is recorded again).
    const deskPending = new Set(fromDesk);
    const add = (info: ProducerInfo) => {
      const owner = this.#producerOwner(info.producerId);
      // A copy of a track recorded where it is produced (the linked desk's) is the same pictures —
      // also while that track is still being added (a link that went ahead of a slow arming
      // adopts its copies meanwhile: they were recorded twice, in files of their own).
      if (!owner || recorder.closed || (owner.copyOf !== undefined && (deskPending.has(owner.copyOf) || recorder.has(owner.copyOf)))) return Promise.resolve();
      return recorder.add(owner.producer, { source: sourceOf(info) }).catch((e: Error) => rest.logger.warn({ err: e.message, sessionId: this.id, producerId: info.producerId }, 'recording a track failed'));
    };
    this.on('producernew', (info) => void add(info));
    // The tracks here now start together: those not paused share one recorder process.
    const present = this.listProducers().flatMap((info) => {
      const owner = this.#producerOwner(info.producerId);
      return owner && !(owner.copyOf !== undefined && fromDesk.has(owner.copyOf)) ? [{ producer: owner.producer, source: sourceOf(info) }] : [];
    });
    await recorder
      .addAll([...present, ...deskTracks], linking ? { holdForCall: { whenStarts: (id, start) => this.#starts.once(id, start), timeoutMs: linking.holdForCallMs } } : {})
      .catch((e: Error) => rest.logger.warn({ err: e.message, sessionId: this.id }, 'recording a track failed'));
    deskPending.clear();
    return recorder;
  }

  /** Producers of every peer except `exceptPeerId`. */
  listProducers(exceptPeerId?: string): ProducerInfo[] {
    const out: ProducerInfo[] = [];
    for (const [peerId, peer] of this.#peers) {
      if (peerId === exceptPeerId) continue;
      for (const { producer, source } of peer.producers.values()) {
        out.push({ producerId: producer.id, peerId, kind: producer.kind, source });
      }
    }
    return out;
  }

  /**
   * Lets the server create the peer's consumers (see ConsumerPush): from now on every producer of
   * another peer is consumed on the peer's receive transport as soon as both exist (piped-in
   * producers once the pipe's caller calls {@link pushConsumers}, so a batch goes out together).
   *
   * `slots` names tracks the peer is waiting for from a session not linked yet (a desk waits for
   * an applicant's face, document camera and microphone; a queued counter for the clerk's face and
   * microphone). Each receive transport then gets a receiving slot per source (see ReceivingSlots),
   * negotiated with the transport's first consumers, so that when the link comes the pictures
   * start without any renegotiation or consume round trip.
   */
  enablePush(peerId: string, rtpCapabilities: types.RtpCapabilities, options: { slots?: MediaSource[] } = {}): void {
    this.#push.enable(this.#peer(peerId), rtpCapabilities, options.slots);
  }

  /**
   * Creates the push peer's missing consumers and announces them in ONE `consumernew` event (see
   * ConsumerPush.push); with `again`, existing ones are announced too (after a reconnect).
   */
  pushConsumers(peerId: string, options: { again?: boolean } = {}): Promise<void> {
    return this.#push.push(peerId, options);
  }

  /** {@link pushConsumers} for every push peer but one (the owner of what is new). */
  pushToOthers(exceptPeerId: string): Promise<void> {
    return this.#push.pushToOthers(exceptPeerId);
  }

  /**
   * Creates a WebRtcTransport for the peer (UDP preferred, TCP as fallback). A receive transport
   * also gets SCTP, so the client can open its data channel ({@link openDataChannel}) and with it
   * the transport's connection before any media is there to consume.
   */
  async createWebRtcTransport(peerId: string, direction: 'send' | 'recv' = 'send'): Promise<TransportParams> {
    this.#assertOpen();
    const peer = this.#peer(peerId);
    const limits = this.#listen.limits;
    // Counted before the first await, so concurrent requests cannot all pass the check.
    if (limits && peer.transportCount >= limits.transportsPerPeer) {
      throw SfuError.budget('transportsPerPeer', limits.transportsPerPeer, `每个终端最多 ${limits.transportsPerPeer} 条媒体通道，请刷新页面后重试 (too many transports)`);
    }
    if (limits && this.transportCount() >= limits.transportsPerSession) {
      throw SfuError.budget('transportsPerSession', limits.transportsPerSession, `本次通话的媒体通道已达上限（${limits.transportsPerSession}），请刷新页面后重试 (too many transports in this call)`);
    }
    const { listenIp, announcedAddress, minPort, maxPort } = this.#listen;
    const portRange = { min: minPort, max: maxPort };
    peer.pendingTransports += 1;
    let transport: types.WebRtcTransport;
    try {
      transport = await this.#router.createWebRtcTransport({
        listenInfos: [
          { protocol: 'udp', ip: listenIp, announcedAddress, portRange },
          { protocol: 'tcp', ip: listenIp, announcedAddress, portRange },
        ],
        preferUdp: true,
        initialAvailableOutgoingBitrate: 1_000_000,
        enableSctp: direction === 'recv',
        appData: { peerId },
      });
    } catch (e) {
      // The worker's port range is full: expected under load, the client may retry later.
      if (e instanceof Error && /no more available ports/i.test(e.message)) throw SfuError.portsExhausted();
      throw e;
    } finally {
      peer.pendingTransports -= 1;
    }
    if (this.#closed) {
      transport.close();
      throw SfuError.sessionClosed(this.id);
    }
    peer.addTransport(transport);
    // What is already there is consumed right away (pictures first).
    if (direction === 'recv') this.#push.receiveTransportCreated(peer, transport.id);
    if (this.#listen.maxIncomingBitrate) {
      await transport.setMaxIncomingBitrate(this.#listen.maxIncomingBitrate).catch(() => undefined);
    }
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
      ...(transport.sctpParameters ? { sctpParameters: transport.sctpParameters } : {}),
    };
  }

  /**
   * Opens a data channel from the session to one of the peer's receive transports. Nothing is
   * sent on it; opening it makes the client connect the transport (ICE, DTLS, SCTP) now, so the
   * first consumer later starts on a live connection instead of waiting for a handshake.
   */
  async openDataChannel(peerId: string, transportId: string): Promise<DataChannelParams> {
    const transport = this.#transport(peerId, transportId);
    if (!transport.sctpParameters) throw new SfuError('NO_DATA_CHANNEL', '该传输通道不支持数据通道 (transport has no SCTP)');
    let channel: types.DataConsumer;
    let source: types.DataProducer;
    try {
      this.#dataSource ??= this.#router.createDirectTransport().then((direct) => direct.produceData({ label: 'rvw', protocol: 'rvw-session' }));
      source = await this.#dataSource;
      channel = await transport.consumeData({ dataProducerId: source.id });
    } catch (e) {
      // The transport or the session closed meanwhile (a page reloading): a stable answer, not INTERNAL.
      if (this.#closed) throw SfuError.sessionClosed(this.id);
      if (transport.closed) throw SfuError.notFound('TRANSPORT_NOT_FOUND', transportId);
      throw e;
    }
    return {
      id: channel.id,
      dataProducerId: source.id,
      sctpStreamParameters: channel.sctpStreamParameters!,
      label: channel.label,
      protocol: channel.protocol,
    };
  }

  /**
   * A transport for a synthetic client that speaks plain RTP with SRTP (no ICE, no DTLS): the load
   * generator of bench:sfu-capacity in place of a browser, a gateway later. It sends from and
   * receives at `remote`, encrypting with `srtpParameters`; the answer holds the worker's port and
   * the keys it encrypts with. Same budgets, produce, consume and resume as a WebRTC transport.
   */
  async createPlainTransport(peerId: string, remote: { ip: string; port: number; srtpParameters: types.SrtpParameters }): Promise<PlainTransportParams> {
    this.#assertOpen();
    const peer = this.#peer(peerId);
    const limits = this.#listen.limits;
    if (limits && (peer.transportCount >= limits.transportsPerPeer || this.transportCount() >= limits.transportsPerSession)) {
      throw SfuError.budget('transportsPerPeer', limits.transportsPerPeer, `每个终端最多 ${limits.transportsPerPeer} 条媒体通道 (too many transports)`);
    }
    const { listenIp, announcedAddress, minPort, maxPort } = this.#listen;
    peer.pendingTransports += 1;
    let transport: types.PlainTransport;
    try {
      transport = await this.#router.createPlainTransport({
        listenInfo: { protocol: 'udp', ip: listenIp, announcedAddress, portRange: { min: minPort, max: maxPort } },
        rtcpMux: true,
        comedia: false,
        enableSrtp: true,
        srtpCryptoSuite: remote.srtpParameters.cryptoSuite,
        appData: { peerId },
      });
    } catch (e) {
      if (e instanceof Error && /no more available ports/i.test(e.message)) throw SfuError.portsExhausted();
      throw e;
    } finally {
      peer.pendingTransports -= 1;
    }
    if (this.#closed) {
      transport.close();
      throw SfuError.sessionClosed(this.id);
    }
    await transport.connect({ ip: remote.ip, port: remote.port, srtpParameters: remote.srtpParameters });
    peer.addTransport(transport);
    if (this.#listen.maxIncomingBitrate) await transport.setMaxIncomingBitrate(this.#listen.maxIncomingBitrate).catch(() => undefined);
    return { id: transport.id, ip: transport.tuple.localAddress, port: transport.tuple.localPort, srtpParameters: transport.srtpParameters! };
  }

  /** Completes the DTLS handshake parameters of one of the peer's transports. */
  async connectTransport(peerId: string, transportId: string, dtlsParameters: types.DtlsParameters): Promise<void> {
    await this.#webRtcTransport(peerId, transportId).connect({ dtlsParameters });
  }

  /** ICE restart on one of the peer's transports; returns the new ICE parameters. */
  async restartIce(peerId: string, transportId: string): Promise<types.IceParameters> {
    return this.#webRtcTransport(peerId, transportId).restartIce();
  }


  /** Starts receiving a track from the peer; other peers are told through `producernew`. */
  async produce(
    peerId: string,
    transportId: string,
    kind: types.MediaKind,
    rtpParameters: types.RtpParameters,
    source: MediaSource,
  ): Promise<string> {
    const transport = this.#transport(peerId, transportId);
    const peer = this.#peer(peerId);
    // Checked and reserved before the first await: two concurrent requests for one source cannot both pass.
    if (peer.pendingSources.has(source)) throw SfuError.duplicateSource(source);
    for (const p of peer.producers.values()) if (p.source === source) throw SfuError.duplicateSource(source);
    const own = peer.pendingSources.size + peer.ownProducerCount;
    const limits = this.#listen.limits;
    if (limits && own >= limits.producersPerPeer) {
      throw SfuError.budget('producersPerPeer', limits.producersPerPeer, `每个终端最多同时发送 ${limits.producersPerPeer} 路音视频 (too many tracks)`);
    }
    peer.pendingSources.add(source);
    let producer: types.Producer;
    try {
      producer = await transport.produce({
        kind,
        rtpParameters,
        // Chrome ignores a keyframe request that comes within 300 ms of the previous one, and the
        // worker then waits a whole second to ask again. Across nodes two requests come that close
        // (the far node's pipe consumer as it is created, then the far receiver as it starts), so
        // a request within 350 ms of the last is held and sent at 350 ms: honoured, not lost.
        ...(kind === 'video' ? { keyFrameRequestDelay: KEYFRAME_REQUEST_SPACING_MS } : {}),
        appData: { peerId, source },
      });
    } finally {
      peer.pendingSources.delete(source);
    }
    if (this.#closed || transport.closed) {
      producer.close();
      throw this.#closed ? SfuError.sessionClosed(this.id) : SfuError.notFound('TRANSPORT_NOT_FOUND', transportId);
    }
    this.#slots.dropIdle(source, peerId);
    const info = peer.addOwnProducer(producer, source);
    this.safeEmit('producernew', info);
    void this.pushToOthers(peerId);
    return producer.id;
  }

  /** Stops one of the peer's producers (e.g. the clerk stops sharing the screen). */
  closeProducer(peerId: string, producerId: string): void {
    const entry = this.#peer(peerId).producers.get(producerId);
    if (!entry) throw SfuError.notFound('PRODUCER_NOT_FOUND', producerId);
    entry.producer.close();
  }

  /**
   * Creates a consumer of another peer's producer on one of the peer's transports, PAUSED:
   * the client resumes it once its side is ready, so the first packets are not lost and the
   * keyframe request lands when someone can decode it.
   */
  async consume(
    peerId: string,
    transportId: string,
    producerId: string,
    rtpCapabilities: types.RtpCapabilities,
  ): Promise<ConsumerParams> {
    const transport = this.#transport(peerId, transportId);
    const peer = this.#peer(peerId);
    const owner = this.#producerOwner(producerId);
    if (!owner || owner.peerId === peerId) throw SfuError.notFound('PRODUCER_NOT_FOUND', producerId);
    if (!this.#router.canConsume({ producerId, rtpCapabilities })) {
      throw new SfuError('CANNOT_CONSUME', '终端不支持该媒体编码 (client RTP capabilities cannot consume this producer)');
    }
    const consumer = await transport.consume<ConsumerAppData>({ producerId, rtpCapabilities, paused: true, appData: { peerId, transportId } });
    peer.addConsumer(consumer);
    return consumerParams(consumer, owner);
  }

  /** Resumes a paused consumer and asks the sender for a keyframe so video starts at once. */
  async resumeConsumer(peerId: string, consumerId: string): Promise<void> {
    const peer = this.#peer(peerId);
    const consumer = peer.consumers.get(consumerId);
    if (!consumer) throw SfuError.notFound('CONSUMER_NOT_FOUND', consumerId);
    const pipe = this.#producerOwner(consumer.producerId)?.pipe;
    if (!pipe?.paused) {
      await consumer.resume();
      if (consumer.kind === 'video') await consumer.requestKeyFrame();
      return;
    }
    // A piped-in producer starts flowing once the consumer can take it: the pipe's start asks the
    // sender for the keyframe, which is lost if it arrives while the consumer is paused or its
    // transport still in its DTLS handshake (the first consume on a fresh transport). Both resumes
    // go out together: the keyframe needs a round trip through the sender's browser, far longer
    // than the worker takes to resume the consumer.
    const transport = peer.transports.get(consumer.appData.transportId);
    if (!transport || transport.type === 'plain' || transport.dtlsState === 'connected') {
      this.#starts.starting(pipe.producerId);
      await Promise.all([consumer.resume(), pipe.resume()]);
      return;
    }
    // Listen before awaiting anything: the handshake may complete meanwhile.
    startWhenConnected(transport, pipe, this.#starts);
    await consumer.resume();
  }

  /** Closes everything of one peer (hang-up, or grace period expired). */
  closePeer(peerId: string): void {
    const peer = this.#peers.get(peerId);
    if (!peer) return;
    this.#peers.delete(peerId);
    peer.close();
  }

  /** Closes the router and with it every transport, producer and consumer; idempotent. */
  close(): void {
    this.#closeWith('closed');
  }

  #closeWith(reason: 'closed' | 'workerdied'): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#peers.clear();
    if (!this.#router.closed) this.#router.close();
    this.safeEmit('close', reason);
  }

  #assertOpen(): void {
    if (this.#closed) throw SfuError.sessionClosed(this.id);
  }

  /** The peer's media here, created on first use and wired to the session's events. */
  #peer(peerId: string): PeerMedia {
    this.#assertOpen();
    let peer = this.#peers.get(peerId);
    if (!peer) {
      const created = new PeerMedia(peerId);
      created.on('producerclosed', (info, piped) => {
        // A peer that is only here through pipes is gone with its last copy.
        if (piped && created.isEmpty && this.#peers.get(peerId) === created) this.#peers.delete(peerId);
        this.safeEmit('producerclosed', info);
      });
      created.on('consumerclosed', (consumerId) => this.safeEmit('consumerclosed', peerId, consumerId));
      created.on('score', (score) => this.safeEmit('score', peerId, score));
      this.#peers.set(peerId, created);
      peer = created;
    }
    return peer;
  }

  #transport(peerId: string, transportId: string): PeerTransport {
    this.#assertOpen();
    const transport = this.#peers.get(peerId)?.transports.get(transportId);
    if (!transport) throw SfuError.notFound('TRANSPORT_NOT_FOUND', transportId);
    return transport;
  }

  /** One of the peer's WebRTC transports (DTLS and ICE requests name no other kind). */
  #webRtcTransport(peerId: string, transportId: string): types.WebRtcTransport {
    const transport = this.#transport(peerId, transportId);
    if (transport.type !== 'webrtc') throw SfuError.notFound('TRANSPORT_NOT_FOUND', transportId);
    return transport;
  }

  /** A live producer of any peer (produced here or piped in), with its peer. */
  #producerOwner(producerId: string): OwnedProducer | undefined {
    for (const [peerId, peer] of this.#peers) {
      const entry = peer.producers.get(producerId);
      if (entry) return { ...entry, peerId };
    }
    return undefined;
  }
}
