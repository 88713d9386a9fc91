import type { types } from 'mediasoup';
import { startWhenConnected } from './keyframeGate.js';
import type { PictureStarts } from './PictureStarts.js';
import type { OwnedProducer, PeerTransport, PipedCopy } from './PeerMedia.js';
import type { Slot } from './ReceivingSlots.js';

/**
 * What a session offers the pipes of another session of this node: the narrow side of it that
 * piping needs, never the session itself.
 */
export interface PipeInlet {
  /** The target's router: the copy's end of a pipe pair is created there. */
  readonly router: types.Router;
  isClosed(): boolean;
  /** True when a copy of the producer is already here. */
  hasCopyOf(producerId: string): boolean;
  /** Takes an idle receiving slot that can carry the producer, if there is one. */
  takeSlot(owner: OwnedProducer): Slot | undefined;
  /** Makes the copy a producer of `peerId` here; announced as producernew. */
  adopt(peerId: string, copy: PipedCopy): void;
  /** The receive transport a slot's consumer runs on, while it lives. */
  slotTransport(slot: Slot): PeerTransport | undefined;
  /** A copy was staged here ahead of a link (see SessionPipes.stage); it is not adopted. */
  staged(copy: { producer: types.Producer; peerId: string; source: OwnedProducer['source'] }): void;
  /** A slot taken by a held feed that ended before its link: idle again if it can be. */
  releaseSlot(slot: Slot): void;
}

/**
 * A slot fed ahead of its link by an import another node sent ahead (see SessionPipes.feedHeld):
 * the feed runs, but nothing comes through it until that node starts its copy, and no peer here
 * has the slot's producer until {@link SessionPipes.adoptHeld}.
 */
export interface HeldFeed {
  slot: Slot;
  pipe: types.Consumer;
  adopted: boolean;
}

/** A loopback pipe pair and the copy it feeds in the target's router. */
interface StagedPair {
  local: types.PipeTransport;
  copy: types.Producer;
  pipeConsumer: types.Consumer;
}

/** Options for {@link SessionPipes}. */
export interface SessionPipesOptions {
  /** The id of the session the producers come from (the copies' origin). */
  sessionId: string;
  router: types.Router;
  /** The node's picture starts: a pipe this session starts is announced there first. */
  starts: PictureStarts;
}

/**
 * A session's pipes into the other sessions of this node (a clerk's desk and the call it is
 * linked to): a producer is fed into an idle receiving slot of the target when one fits, or else
 * into a copy made over a loopback PipeTransport pair of its own.
 */
export class SessionPipes {
  readonly #o: SessionPipesOptions;
  /** This session's feeds into other sessions' slot ports, by the port's id. */
  readonly #feeds = new Map<string, Promise<types.PlainTransport>>();
  /** Copies made ahead of a link (see stage), by the target router's id and the producer's id. */
  readonly #staged = new Map<string, Promise<StagedPair>>();

  constructor(options: SessionPipesOptions) {
    this.#o = options;
  }

  /**
   * Makes one of this session's own producers available in `target`: a pipe consumer here feeds a
   * copy produced in the target's router over a loopback PipeTransport pair of its own. The copy
   * has an id of its own (mediasoup's pipeToRouter keeps the id, which two routers of one worker
   * cannot share), the same peer and source. The target's peers learn of it through `producernew`
   * and consume it like any other; closing either end closes the other. A no-op when the target
   * already has a copy.
   *
   * The pipe stays paused until a consumer in the target resumes (see MediaSession.resumeConsumer),
   * or, for a copy sent on to another node, until that node has imported it
   * (MediaSession.startExported): starting it asks the sender for a keyframe, and Chrome ignores a second request within 300 ms,
   * so a pipe started early would cost the real consumer its first picture (mediasoup retries
   * after a whole second). The pair is connected only after the pipe consumer is paused, because a
   * consumer asks for that keyframe the moment its transport connects.
   */
  async pipe(owner: OwnedProducer, target: PipeInlet): Promise<void> {
    const producerId = owner.producer.id;
    if (target.isClosed() || target.hasCopyOf(producerId)) return;
    const key = stagedKey(target, producerId);
    const staged = this.#staged.get(key);
    this.#staged.delete(key);
    const slot = target.takeSlot(owner);
    if (slot) {
      // A staged pair that failed to be made has nothing to close (and its failure is handled).
      void staged?.then((pair) => pair.local.close(), () => undefined);
      return this.#feed(owner, target, slot);
    }
    // A copy staged ahead is taken as it is, unless it died meanwhile; else one is made now.
    let pair = staged ? await staged.catch(() => undefined) : undefined;
    if (pair && (pair.local.closed || pair.pipeConsumer.closed)) pair = undefined;
    pair ??= await this.#pair(owner, target);
    if (target.isClosed() || pair.pipeConsumer.closed || target.hasCopyOf(producerId)) {
      pair.local.close();
      return;
    }
    target.adopt(owner.peerId, { producer: pair.copy, source: owner.source, origin: this.#o.sessionId, copyOf: producerId, pipe: pair.pipeConsumer });
  }

  /**
   * Makes the copy of a producer in `target` ahead of the link that will use it (a clerk's desk and
   * a call prepared at the head of its queue, on another node's counter): the loopback pair and the
   * copy exist, but the copy is not adopted, so no peer of the target learns of it, nothing is
   * exported across a region pipe and no picture leaves (video stays paused; audio reaches a
   * producer nobody consumes). {@link pipe} adopts it, so linking costs no pipe round trips. The
   * pair closes with either router or the producer; a target with a receiving slot needs none.
   */
  stage(owner: OwnedProducer, target: PipeInlet): Promise<void> {
    const producerId = owner.producer.id;
    const key = stagedKey(target, producerId);
    if (target.isClosed() || target.hasCopyOf(producerId) || this.#staged.has(key)) return Promise.resolve();
    const made = this.#pair(owner, target).then((pair) => {
      pair.local.observer.once('close', () => {
        if (this.#staged.get(key) === made) this.#staged.delete(key);
      });
      if (pair.local.closed && this.#staged.get(key) === made) this.#staged.delete(key);
      else target.staged({ producer: pair.copy, peerId: owner.peerId, source: owner.source });
      return pair;
    });
    this.#staged.set(key, made);
    made.catch(() => {
      if (this.#staged.get(key) === made) this.#staged.delete(key);
    });
    return made.then(() => undefined);
  }

  /**
   * Opens this router's feeds to slot ports ahead of the producers that will fill them (a region
   * pipe's imports, a call's tracks for a prepared desk): filling a slot then costs one consumer,
   * not a transport made and connected first.
   */
  warmFeeds(ports: types.PlainTransport[]): void {
    for (const port of ports) void this.#feedTo(port).catch(() => undefined);
  }

  /** Feeds open from this router to slot ports (for tests and diagnostics). */
  get feedCount(): number {
    return this.#feeds.size;
  }

  /** Copies staged and not yet adopted (for tests and diagnostics). */
  get stagedCount(): number {
    return this.#staged.size;
  }

  /** A loopback PipeTransport pair carrying `owner` into a copy in the target's router (not adopted). */
  async #pair(owner: OwnedProducer, target: PipeInlet): Promise<StagedPair> {
    const producerId = owner.producer.id;
    // Both ends on loopback: the two routers live in this node's own worker processes.
    const options = { listenInfo: { protocol: 'udp' as const, ip: '127.0.0.1' }, enableSctp: false, enableRtx: false };
    const ends = await Promise.allSettled([this.#o.router.createPipeTransport(options), target.router.createPipeTransport(options)]);
    const [local, remote] = ends.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
    if (!local || !remote) {
      local?.close();
      remote?.close();
      throw (ends.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
    }
    local.observer.once('close', () => remote.close());
    remote.observer.once('close', () => local.close());
    try {
      // The copy's end may connect at once; ours only once the pipe consumer is paused (video).
      const [pipeConsumer] = await Promise.all([local.consume({ producerId }), remote.connect({ ip: local.tuple.localAddress, port: local.tuple.localPort })]);
      const [copy] = await Promise.all([
        remote.produce({ kind: pipeConsumer.kind, rtpParameters: pipeConsumer.rtpParameters, paused: pipeConsumer.producerPaused }),
        // Audio has no keyframe to protect: it flows at once (and is dropped until consumed).
        pipeConsumer.kind === 'video' ? pipeConsumer.pause() : Promise.resolve(),
      ]);
      await local.connect({ ip: remote.tuple.localAddress, port: remote.tuple.localPort });
      // One pair per producer: when either end of the copy goes, the pair goes.
      pipeConsumer.observer.once('close', () => local.close());
      copy.observer.once('close', () => local.close());
      return { local, copy, pipeConsumer };
    } catch (e) {
      local.close();
      throw e;
    }
  }

  /**
   * Feeds one of this session's producers into a receiving slot of `target`: a consumer on a
   * loopback PlainTransport here, carrying the slot's MID, sends to the slot's port, whose producer
   * takes the stream as it comes. The slot's producer becomes the copy (same peer, source, origin
   * and pipe bookkeeping as a piped copy); its consumer was negotiated long ago, so the receiver
   * needs no renegotiation and no resume. Video starts paused, and is started exactly when a piped
   * copy would be (the keyframe request must reach a consumer that can take it).
   */
  async #feed(owner: OwnedProducer, target: PipeInlet, slot: Slot, options: { remote?: true } = {}): Promise<void> {
    const producerId = owner.producer.id;
    let pipe: types.Consumer;
    try {
      pipe = await this.#consumeInto(owner, slot);
    } catch (e) {
      slot.producer.close();
      throw e;
    }
    pipe.observer.once('close', () => slot.producer.close());
    slot.producer.observer.once('close', () => pipe.close());
    if (target.isClosed() || slot.producer.closed || pipe.closed || target.hasCopyOf(producerId)) {
      slot.producer.close();
      return;
    }
    target.adopt(owner.peerId, { producer: slot.producer, source: owner.source, origin: this.#o.sessionId, copyOf: producerId, pipe, ...options });
    this.#startFeed(pipe, slot, target);
  }

  /**
   * Feeds a producer imported from another node's router of the same call (a RegionPipe import in
   * this session's own router) into one of this session's receiving slots: the queued counter's
   * slots for the clerk's tracks when the clerk's desk is on another node, so the counter's
   * pictures start as they do on one node, without a renegotiation. The slot's producer is the
   * copy, marked `remote`: it is not announced again nor exported back to the node it came from.
   */
  feedImport(owner: OwnedProducer, target: PipeInlet, slot: Slot): Promise<void> {
    return this.#feed(owner, target, slot, { remote: true });
  }

  /**
   * Feeds an import sent ahead of its link (a desk's staged copy on another node, see
   * MediaSession.holdImport) into a receiving slot of `target` now, and starts the feed: nothing
   * comes through it before the other node starts its copy (its pipe from the desk stays paused),
   * and when it does, the keyframe finds the feed running, with no node-to-node round trip
   * between the accept and the picture. Not adopted: no peer of the target has the slot's
   * producer until {@link adoptHeld}. A feed that ends first gives the slot back (releaseSlot).
   */
  async feedHeld(owner: OwnedProducer, target: PipeInlet, slot: Slot): Promise<HeldFeed | undefined> {
    let pipe: types.Consumer;
    try {
      pipe = await this.#consumeInto(owner, slot);
    } catch {
      target.releaseSlot(slot);
      return undefined;
    }
    const held: HeldFeed = { slot, pipe, adopted: false };
    pipe.observer.once('close', () => (held.adopted ? slot.producer.close() : target.releaseSlot(slot)));
    slot.producer.observer.once('close', () => pipe.close());
    if (target.isClosed() || slot.producer.closed || pipe.closed) {
      pipe.close();
      return undefined;
    }
    this.#startFeed(pipe, slot, target);
    return held;
  }

  /** The link came: the held feed's slot producer becomes the import's copy (a peer's producer). False if it died meanwhile. */
  adoptHeld(held: HeldFeed, owner: OwnedProducer, target: PipeInlet): boolean {
    if (held.pipe.closed || held.slot.producer.closed || target.isClosed() || target.hasCopyOf(owner.producer.id)) return false;
    held.adopted = true;
    target.adopt(owner.peerId, { producer: held.slot.producer, source: owner.source, origin: this.#o.sessionId, copyOf: owner.producer.id, pipe: held.pipe, remote: true });
    return true;
  }

  /** A consumer of `owner` on the feed to the slot's port, carrying the slot's MID; video paused. */
  async #consumeInto(owner: OwnedProducer, slot: Slot): Promise<types.Consumer> {
    return (await this.#feedTo(slot.port)).consume({
      producerId: owner.producer.id,
      rtpCapabilities: this.#o.router.rtpCapabilities,
      paused: owner.producer.kind === 'video',
      mid: slot.source,
      enableRtx: false,
    });
  }

  /**
   * Starts a slot's video feed once the slot's consumer is resumed and its receive transport
   * connected. The receiver resumes its slot consumer when it joins; a resume still in flight reads
   * as paused (mediasoup flips the flag when the worker answers) and has already looked for a pipe
   * to start, so wait for it.
   */
  #startFeed(pipe: types.Consumer, slot: Slot, target: PipeInlet): void {
    const transport = target.slotTransport(slot);
    if (pipe.kind !== 'video' || !transport) return;
    if (!slot.consumer.paused) startWhenConnected(transport, pipe, this.#o.starts);
    else slot.consumer.observer.once('resume', () => startWhenConnected(transport, pipe, this.#o.starts));
  }

  /** The PlainTransport feeding `port` (another session's slot port) from here; one per port. */
  #feedTo(port: types.PlainTransport): Promise<types.PlainTransport> {
    let feed = this.#feeds.get(port.id);
    if (!feed) {
      feed = this.#o.router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: false, enableSctp: false }).then(async (t) => {
        t.observer.once('close', () => this.#feeds.delete(port.id));
        port.observer.once('close', () => t.close());
        if (port.closed) t.close();
        await t.connect({ ip: port.tuple.localAddress, port: port.tuple.localPort });
        return t;
      });
      feed.catch(() => this.#feeds.delete(port.id));
      this.#feeds.set(port.id, feed);
    }
    return feed;
  }
}

/** A staged copy's key: the target's router and the original producer. */
const stagedKey = (target: PipeInlet, producerId: string): string => `${target.router.id}:${producerId}`;
