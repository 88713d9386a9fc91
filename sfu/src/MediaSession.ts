import type { types } from 'mediasoup';
import { EnhancedEventEmitter } from 'mediasoup/extras';
import { MEDIA_CODECS } from './mediaCodecs.js';
import type {
  ConsumerParams,
  DataChannelParams,
  MediaSessionCounts,
  MediaSessionEvents,
  MediaSource,
  ProducerInfo,
  TransportListenOptions,
  TransportParams,
} from './MediaSessionTypes.js';
import { SfuError } from './SfuError.js';
import type { WorkerPool } from './WorkerPool.js';

/** Options for {@link MediaSession.create}. */
export interface MediaSessionOptions {
  /** The session id; for a call it is the case id. */
  sessionId: string;
  pool: WorkerPool;
  listen: TransportListenOptions;
}

/**
 * A producer of the session. `origin` (the other session's id), `copyOf` (the original producer's
 * id) and `pipe` (the paused-until-consumed pipe consumer feeding it) are set for a producer piped
 * in from another session (see {@link MediaSession.pipeProducerTo}).
 */
interface ProducerEntry {
  producer: types.Producer;
  source: MediaSource;
  origin?: string;
  copyOf?: string;
  pipe?: types.Consumer;
}

/**
 * A receiving slot (see {@link MediaSession.enablePush}): a producer in this router on a loopback
 * PlainTransport of its own, already consumed by `receiver`, that nothing feeds yet. Binding it
 * (see {@link MediaSession.pipeProducerTo}) sends another session's producer into it, matched by
 * MID, and the receiver's picture starts without a renegotiation.
 */
interface Slot {
  producer: types.Producer;
  source: MediaSource;
  receiver: string;
  /** The slot's consumer on the receiver's receive transport. */
  consumer: types.Consumer<ConsumerAppData>;
  /** Where feeds send to; one per receive transport, shared by its slots. */
  port: types.PlainTransport;
}

/** The MID header extension: how a slot's transport tells its producers apart. */
const MID_URI = 'urn:ietf:params:rtp-hdrext:sdes:mid';

interface ConsumerAppData extends types.AppData {
  peerId: string;
  transportId: string;
}

interface PeerMedia {
  transports: Map<string, types.WebRtcTransport>;
  /** Transports being created: counted against the budgets before the first await. */
  pendingTransports: number;
  /** Sources being produced: "one track per source" holds for concurrent requests too. */
  pendingSources: Set<MediaSource>;
  producers: Map<string, ProducerEntry>;
  /** Each consumer's appData names its transport (a piped-in producer starts once that is connected). */
  consumers: Map<string, types.Consumer<ConsumerAppData>>;
  /**
   * Set when the client gave its RTP capabilities on joining: the server then creates this peer's
   * consumers itself, on its receive transport, and announces them with `consumernew` (no consume
   * request, one round trip less before each picture).
   */
  push?: {
    rtpCapabilities: types.RtpCapabilities;
    recvTransportId?: string;
    chain?: Promise<void>;
    /** Sources to hold receiving slots for, and the receive transport they were last made on. */
    slots?: MediaSource[];
    slotsMadeOn?: string;
  };
}

/**
 * The media side of one call: a Router on the least-loaded worker and each peer's transports,
 * producers and consumers. Every id a peer passes is looked up in that peer's own maps, so a
 * peer can never touch another peer's (or another session's) objects. `close()` cascades and
 * is idempotent.
 */
export class MediaSession extends EnhancedEventEmitter<MediaSessionEvents> {
  readonly #router: types.Router;
  readonly #listen: TransportListenOptions;
  readonly #peers = new Map<string, PeerMedia>();
  /** Receiving slots nothing feeds yet, by their producer id (a bound slot is a peer's producer). */
  readonly #slots = new Map<string, Slot>();
  /** This session's feeds into other sessions' slot ports, by the port's id. */
  readonly #feeds = new Map<string, Promise<types.PlainTransport>>();
  /** The session's data source for receive transports' data channels (created on first use). */
  #dataSource: Promise<types.DataProducer> | undefined;
  #closed = false;

  private constructor(
    /** The session id (the case id). */
    readonly id: string,
    router: types.Router,
    listen: TransportListenOptions,
  ) {
    super();
    this.#router = router;
    this.#listen = listen;
    // A dead worker closes the router under us: the session is unusable and must be rebuilt.
    router.on('workerclose', () => this.#closeWith('workerdied'));
  }

  /** Creates the session's router on the pool's least-loaded worker. */
  static async create(options: MediaSessionOptions): Promise<MediaSession> {
    const router = await options.pool.createRouter({ mediaCodecs: MEDIA_CODECS, appData: { sessionId: options.sessionId } });
    return new MediaSession(options.sessionId, router, options.listen);
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
    return [...this.#slots.values()].map((s) => s.source).sort();
  }

  /** WebRTC transports (RTC ports) of the session, those being created included. */
  transportCount(): number {
    let n = 0;
    for (const p of this.#peers.values()) n += p.transports.size + p.pendingTransports;
    return n;
  }

  /** WebRTC transports of one peer, those being created included. */
  peerTransportCount(peerId: string): number {
    const p = this.#peers.get(peerId);
    return p ? p.transports.size + p.pendingTransports : 0;
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
   * node, any worker): a pipe consumer here feeds a copy produced in the target's router over a
   * loopback PipeTransport pair of its own. The copy has an id of its own (mediasoup's
   * pipeToRouter keeps the id, which two routers of one worker cannot share), the same peer and
   * source. The target's peers learn of it through `producernew` and consume it like any other;
   * closing either end closes the other. A no-op when the target already has a copy.
   *
   * The pipe stays paused until a consumer in the target resumes (see resumeConsumer): starting
   * it asks the sender for a keyframe, and Chrome ignores a second request within 300 ms, so a
   * pipe started early would cost the real consumer its first picture (mediasoup retries after
   * a whole second). The pair is connected only after the pipe consumer is paused, because a
   * consumer asks for that keyframe the moment its transport connects.
   */
  async pipeProducerTo(producerId: string, target: MediaSession): Promise<void> {
    this.#assertOpen();
    const owner = this.#producerOwner(producerId);
    if (!owner || owner.origin !== undefined) throw SfuError.notFound('PRODUCER_NOT_FOUND', producerId);
    if (target.closed || target.hasCopyOf(producerId)) return;
    const slot = target.#takeSlot(owner);
    if (slot) return this.#feed(owner, target, slot);
    // Both ends on loopback: the two routers live in this node's own worker processes.
    const options = { listenInfo: { protocol: 'udp' as const, ip: '127.0.0.1' }, enableSctp: false, enableRtx: false };
    const ends = await Promise.allSettled([this.#router.createPipeTransport(options), target.#router.createPipeTransport(options)]);
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
      if (target.closed || pipeConsumer.closed || target.hasCopyOf(producerId)) {
        local.close();
        return;
      }
      target.#adopt(owner.peerId, copy, owner.source, this.id, producerId, pipeConsumer);
    } catch (e) {
      local.close();
      throw e;
    }
  }

  /**
   * Feeds one of this session's producers into a receiving slot of `target`: a consumer on a
   * loopback PlainTransport here, carrying the slot's MID, sends to the slot's port, whose producer
   * takes the stream as it comes. The slot's producer becomes the copy (same peer, source, origin
   * and pipe bookkeeping as {@link pipeProducerTo}); its consumer was negotiated long ago, so the
   * receiver needs no renegotiation and no resume. Video starts paused, and is started exactly when
   * a piped copy would be (the keyframe request must reach a consumer that can take it).
   */
  async #feed(owner: ProducerEntry & { peerId: string }, target: MediaSession, slot: Slot): Promise<void> {
    const producerId = owner.producer.id;
    let pipe: types.Consumer;
    try {
      pipe = await (await this.#feedTo(slot.port)).consume({
        producerId,
        rtpCapabilities: this.#router.rtpCapabilities,
        paused: owner.producer.kind === 'video',
        mid: slot.source,
        enableRtx: false,
      });
    } catch (e) {
      slot.producer.close();
      throw e;
    }
    pipe.observer.once('close', () => slot.producer.close());
    slot.producer.observer.once('close', () => pipe.close());
    if (target.closed || slot.producer.closed || pipe.closed || target.hasCopyOf(producerId)) {
      slot.producer.close();
      return;
    }
    target.#adopt(owner.peerId, slot.producer, owner.source, this.id, producerId, pipe);
    // The receiver resumes its slot consumer when it joins: the pipe starts once that is done and
    // the receive transport is connected. A resume still in flight reads as paused (mediasoup flips
    // the flag when the worker answers) and has already looked for a pipe to start, so wait for it.
    const transport = target.#peers.get(slot.receiver)?.transports.get(slot.consumer.appData.transportId);
    if (pipe.kind === 'video' && transport) {
      if (!slot.consumer.paused) startWhenConnected(transport, pipe);
      else slot.consumer.observer.once('resume', () => startWhenConnected(transport, pipe));
    }
  }

  /** The PlainTransport feeding `port` (another session's slot port) from here; one per port. */
  #feedTo(port: types.PlainTransport): Promise<types.PlainTransport> {
    let feed = this.#feeds.get(port.id);
    if (!feed) {
      feed = this.#router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: false, enableSctp: false }).then(async (t) => {
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

  /** Takes an idle slot that can carry the producer (same source and codec), if there is one. */
  #takeSlot(owner: ProducerEntry & { peerId: string }): Slot | undefined {
    const mime = owner.producer.rtpParameters.codecs[0]?.mimeType.toLowerCase();
    for (const slot of this.#slots.values()) {
      if (slot.source !== owner.source || slot.receiver === owner.peerId || slot.producer.closed) continue;
      if (slot.producer.rtpParameters.codecs[0]?.mimeType.toLowerCase() !== mime) continue;
      this.#slots.delete(slot.producer.id);
      return slot;
    }
    return undefined;
  }

  /**
   * Makes the push peer's receiving slots on its receive transport: for each source no other peer
   * sends yet, a producer on the transport's slot port and a paused consumer of it. Returns what
   * to announce.
   */
  async #makeSlots(peerId: string, peer: PeerMedia, transportId: string, sources: MediaSource[]): Promise<ConsumerParams[]> {
    const recv = peer.transports.get(transportId);
    const present = () => new Set(this.listProducers(peerId).map((p) => p.source));
    const wanted = sources.filter((s) => !present().has(s));
    if (!recv || !peer.push || !wanted.length) return [];
    const rtpCapabilities = peer.push.rtpCapabilities;
    const port = await this.#router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: true, enableSctp: false });
    recv.observer.once('close', () => port.close());
    if (recv.closed) port.close();
    const made = await Promise.allSettled(
      wanted.map(async (source) => {
        const kind: types.MediaKind = source === 'mic' ? 'audio' : 'video';
        const producer = await port.produce({ kind, rtpParameters: slotRtpParameters(this.#router.rtpCapabilities, kind, source, `slot-${transportId}`), appData: { slot: source } });
        try {
          const consumer = await recv.consume<ConsumerAppData>({ producerId: producer.id, rtpCapabilities, paused: true, appData: { peerId, transportId } });
          this.#register(peerId, peer, consumer);
          return { producer, source, receiver: peerId, consumer, port } satisfies Slot;
        } catch (e) {
          producer.close();
          throw e;
        }
      }),
    );
    const out: ConsumerParams[] = [];
    const now = present();
    for (const r of made) {
      if (r.status !== 'fulfilled') continue;
      const slot = r.value;
      // Another peer's track of this source arrived meanwhile: it is consumed directly instead.
      if (now.has(slot.source) || this.#closed) {
        slot.producer.close();
        continue;
      }
      this.#slots.set(slot.producer.id, slot);
      slot.producer.observer.once('close', () => {
        if (this.#slots.get(slot.producer.id) === slot) this.#slots.delete(slot.producer.id);
      });
      out.push(slotParams(slot));
    }
    return out;
  }

  /**
   * Closes idle slots of `source` (a track of that source arrived by another way; no duplicates).
   * The receiver is told here, synchronously, so that it hears of it before the new consumer is
   * announced: the worker's own notification may come after that.
   */
  #dropIdleSlots(source: MediaSource, ownerPeerId: string): void {
    for (const slot of [...this.#slots.values()]) {
      if (slot.source !== source || slot.receiver === ownerPeerId) continue;
      this.#slots.delete(slot.producer.id);
      if (!slot.consumer.closed) {
        slot.consumer.close();
        this.safeEmit('consumerclosed', slot.receiver, slot.consumer.id);
      }
      slot.producer.close();
    }
  }

  /** Closes every producer piped in from session `origin` (it closed, or the link between the two ended). */
  dropImportsFrom(origin: string): void {
    for (const peer of this.#peers.values()) {
      for (const entry of [...peer.producers.values()]) if (entry.origin === origin) entry.producer.close();
    }
  }

  #adopt(peerId: string, producer: types.Producer, source: MediaSource, origin: string, copyOf: string, pipe: types.Consumer): void {
    const peer = this.#peer(peerId);
    const info: ProducerInfo = { producerId: producer.id, peerId, kind: producer.kind, source };
    // Told before the new consumer is announced, so a receiver never shows an empty slot's track.
    this.#dropIdleSlots(source, peerId);
    peer.producers.set(producer.id, { producer, source, origin, copyOf, pipe });
    producer.observer.once('close', () => {
      peer.producers.delete(producer.id);
      // A peer that is only here through pipes is gone with its last copy.
      if (!peer.transports.size && !peer.producers.size && !peer.consumers.size && this.#peers.get(peerId) === peer) this.#peers.delete(peerId);
      this.safeEmit('producerclosed', info);
    });
    this.safeEmit('producernew', info);
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
   * Lets the server create the peer's consumers (see PeerMedia.push): from now on every producer
   * of another peer is consumed on the peer's receive transport as soon as both exist (piped-in
   * producers once the pipe's caller calls {@link pushConsumers}, so a batch goes out together).
   *
   * `slots` names tracks the peer is waiting for from a session not linked yet (a desk waits for
   * an applicant's face, document camera and microphone; a queued counter for the clerk's face and
   * microphone). Each receive transport then gets a receiving slot per source (see {@link Slot}),
   * negotiated with the transport's first consumers, so that when the link comes the pictures
   * start without any renegotiation or consume round trip.
   */
  enablePush(peerId: string, rtpCapabilities: types.RtpCapabilities, options: { slots?: MediaSource[] } = {}): void {
    const peer = this.#peer(peerId);
    peer.push = {
      rtpCapabilities,
      ...(peer.push?.recvTransportId ? { recvTransportId: peer.push.recvTransportId } : {}),
      ...(peer.push?.slotsMadeOn ? { slotsMadeOn: peer.push.slotsMadeOn } : {}),
      ...(options.slots?.length ? { slots: options.slots } : {}),
    };
  }

  /**
   * Creates the push peer's missing consumers (one per producer of the other peers, pictures
   * first) and announces them in ONE `consumernew` event, so the client sets them all up in one
   * renegotiation. With `again`, consumers that already exist are announced too (a client that
   * reconnected may have missed them; it skips the ones it has). Runs one at a time per peer.
   */
  pushConsumers(peerId: string, options: { again?: boolean } = {}): Promise<void> {
    const peer = this.#peers.get(peerId);
    if (!peer?.push) return Promise.resolve();
    const push = peer.push;
    push.chain = (push.chain ?? Promise.resolve()).then(async () => {
      const transportId = push.recvTransportId;
      if (!transportId || this.#closed || this.#peers.get(peerId) !== peer) return;
      const announce: ConsumerParams[] = [];
      if (options.again) {
        for (const c of peer.consumers.values()) {
          if (c.appData.transportId !== transportId) continue;
          const owner = this.#producerOwner(c.producerId);
          const slot = this.#slots.get(c.producerId);
          if (owner) announce.push(consumerParams(c, owner));
          else if (slot) announce.push(slotParams(slot));
        }
      }
      if (push.slots && push.slotsMadeOn !== transportId) {
        push.slotsMadeOn = transportId;
        announce.push(...(await this.#makeSlots(peerId, peer, transportId, push.slots)));
      }
      const have = new Set([...peer.consumers.values()].map((c) => c.producerId));
      const missing = this.listProducers(peerId).filter((p) => !have.has(p.producerId));
      const made = await Promise.allSettled(missing.map((p) => this.consume(peerId, transportId, p.producerId, push.rtpCapabilities)));
      // A producer, the transport or the session may have gone meanwhile: nothing to announce for it.
      for (const r of made) if (r.status === 'fulfilled') announce.push(r.value);
      announce.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'video' ? -1 : 1));
      if (announce.length && !this.#closed) this.safeEmit('consumernew', peerId, announce, transportId);
    });
    return push.chain;
  }

  /** {@link pushConsumers} for every push peer but one (the owner of what is new). */
  async pushToOthers(exceptPeerId: string): Promise<void> {
    await Promise.all([...this.#peers].filter(([peerId, peer]) => peerId !== exceptPeerId && peer.push).map(([peerId]) => this.pushConsumers(peerId)));
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
    if (limits && peer.transports.size + peer.pendingTransports >= limits.transportsPerPeer) {
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
    peer.transports.set(transport.id, transport);
    transport.observer.once('close', () => peer.transports.delete(transport.id));
    if (direction === 'recv' && peer.push) {
      peer.push.recvTransportId = transport.id;
      // What is already there is consumed right away (pictures first).
      void this.pushConsumers(peerId);
    }
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

  /** Completes the DTLS handshake parameters of one of the peer's transports. */
  async connectTransport(peerId: string, transportId: string, dtlsParameters: types.DtlsParameters): Promise<void> {
    await this.#transport(peerId, transportId).connect({ dtlsParameters });
  }

  /** ICE restart on one of the peer's transports; returns the new ICE parameters. */
  async restartIce(peerId: string, transportId: string): Promise<types.IceParameters> {
    return this.#transport(peerId, transportId).restartIce();
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
    let own = peer.pendingSources.size;
    for (const p of peer.producers.values()) {
      if (p.source === source) throw SfuError.duplicateSource(source);
      if (p.origin === undefined) own += 1;
    }
    const limits = this.#listen.limits;
    if (limits && own >= limits.producersPerPeer) {
      throw SfuError.budget('producersPerPeer', limits.producersPerPeer, `每个终端最多同时发送 ${limits.producersPerPeer} 路音视频 (too many tracks)`);
    }
    peer.pendingSources.add(source);
    let producer: types.Producer;
    try {
      producer = await transport.produce({ kind, rtpParameters, appData: { peerId, source } });
    } finally {
      peer.pendingSources.delete(source);
    }
    if (this.#closed || transport.closed) {
      producer.close();
      throw this.#closed ? SfuError.sessionClosed(this.id) : SfuError.notFound('TRANSPORT_NOT_FOUND', transportId);
    }
    const info: ProducerInfo = { producerId: producer.id, peerId, kind, source };
    this.#dropIdleSlots(source, peerId);
    peer.producers.set(producer.id, { producer, source });
    producer.observer.once('close', () => {
      peer.producers.delete(producer.id);
      this.safeEmit('producerclosed', info);
    });
    producer.on('score', (scores) => {
      const score = Math.min(...scores.map((s) => s.score));
      if (Number.isFinite(score)) this.safeEmit('score', peerId, { producerId: producer.id, score });
    });
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
    this.#register(peerId, peer, consumer);
    return consumerParams(consumer, owner);
  }

  /** Keeps a new consumer of the peer; the client is told when its producer goes. */
  #register(peerId: string, peer: PeerMedia, consumer: types.Consumer<ConsumerAppData>): void {
    peer.consumers.set(consumer.id, consumer);
    consumer.observer.once('close', () => peer.consumers.delete(consumer.id));
    consumer.on('producerclose', () => {
      consumer.close();
      this.safeEmit('consumerclosed', peerId, consumer.id);
    });
    consumer.on('transportclose', () => peer.consumers.delete(consumer.id));
    consumer.on('score', (s) => this.safeEmit('score', peerId, { consumerId: consumer.id, score: s.score }));
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
    if (!transport || transport.dtlsState === 'connected') {
      await Promise.all([consumer.resume(), pipe.resume()]);
      return;
    }
    // Listen before awaiting anything: the handshake may complete meanwhile.
    startWhenConnected(transport, pipe);
    await consumer.resume();
  }

  /** Closes everything of one peer (hang-up, or grace period expired). */
  closePeer(peerId: string): void {
    const peer = this.#peers.get(peerId);
    if (!peer) return;
    this.#peers.delete(peerId);
    // Closing a transport closes its producers and consumers (and emits producerclosed); producers
    // piped in for this peer have no transport here and are closed one by one.
    for (const t of [...peer.transports.values()]) t.close();
    for (const { producer } of [...peer.producers.values()]) producer.close();
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

  #peer(peerId: string): PeerMedia {
    this.#assertOpen();
    let peer = this.#peers.get(peerId);
    if (!peer) {
      peer = { transports: new Map(), pendingTransports: 0, pendingSources: new Set(), producers: new Map(), consumers: new Map() };
      this.#peers.set(peerId, peer);
    }
    return peer;
  }

  #transport(peerId: string, transportId: string): types.WebRtcTransport {
    this.#assertOpen();
    const transport = this.#peers.get(peerId)?.transports.get(transportId);
    if (!transport) throw SfuError.notFound('TRANSPORT_NOT_FOUND', transportId);
    return transport;
  }

  /** A live producer of any peer (produced here or piped in), with its peer. */
  #producerOwner(producerId: string): (ProducerEntry & { peerId: string }) | undefined {
    for (const [peerId, peer] of this.#peers) {
      const entry = peer.producers.get(producerId);
      if (entry) return { ...entry, peerId };
    }
    return undefined;
  }
}

/**
 * Resumes `pipe` once the transport is DTLS-connected (at once if it is): its start asks the
 * sender for a keyframe, which must find a consumer able to pass it on.
 */
function startWhenConnected(transport: types.WebRtcTransport, pipe: types.Consumer): void {
  const start = () => {
    if (!pipe.closed && pipe.paused) void pipe.resume().catch(() => undefined);
  };
  if (transport.dtlsState === 'connected') return start();
  // Listen before anything is awaited: the handshake may complete meanwhile.
  const onState = (state: types.DtlsState) => {
    if (state !== 'connected') return;
    transport.removeListener('dtlsstatechange', onState);
    start();
  };
  transport.on('dtlsstatechange', onState);
}

/**
 * A slot producer's parameters: the router's first codec of the kind (what the pages send; another
 * codec is not fed into the slot, see takeSlot), its payload type and feedback, and the MID header
 * extension its feed marks packets with. No SSRC: the producer takes the one stream that comes.
 */
function slotRtpParameters(caps: types.RtpCapabilities, kind: types.MediaKind, mid: string, cname: string): types.RtpParameters {
  const codec = caps.codecs?.find((c) => c.kind === kind && !/\/rtx$/i.test(c.mimeType));
  const ext = caps.headerExtensions?.find((h) => h.kind === kind && h.uri === MID_URI);
  if (!codec || codec.preferredPayloadType === undefined || !ext) throw new SfuError('CANNOT_CONSUME', `no ${kind} codec for a receiving slot`);
  return {
    mid,
    codecs: [
      {
        mimeType: codec.mimeType,
        payloadType: codec.preferredPayloadType,
        clockRate: codec.clockRate,
        ...(codec.channels ? { channels: codec.channels } : {}),
        parameters: codec.parameters ?? {},
        rtcpFeedback: codec.rtcpFeedback ?? [],
      },
    ],
    headerExtensions: [{ uri: MID_URI, id: ext.preferredId }],
    encodings: [{}],
    rtcp: { cname, reducedSize: true },
  };
}

/** What a client needs to set up its side of a consumer, with whose track it carries. */
function consumerParams(consumer: types.Consumer, owner: { peerId: string; source: MediaSource }): ConsumerParams {
  return { id: consumer.id, producerId: consumer.producerId, kind: consumer.kind, rtpParameters: consumer.rtpParameters, peerId: owner.peerId, source: owner.source };
}

/** A receiving slot's consumer as announced while nothing feeds it: no peer yet. */
function slotParams(slot: Slot): ConsumerParams {
  return { ...consumerParams(slot.consumer, { peerId: '', source: slot.source }), slot: true };
}
