import type { types } from 'mediasoup';
import { EnhancedEventEmitter } from 'mediasoup/extras';
import { MEDIA_CODECS } from './mediaCodecs';
import type {
  ConsumerParams,
  MediaSessionCounts,
  MediaSessionEvents,
  MediaSource,
  ProducerInfo,
  TransportListenOptions,
  TransportParams,
} from './MediaSessionTypes';
import { SfuError } from './SfuError';
import type { WorkerPool } from './WorkerPool';

/** Options for {@link MediaSession.create}. */
export interface MediaSessionOptions {
  /** The session id; for a call it is the case id. */
  sessionId: string;
  pool: WorkerPool;
  listen: TransportListenOptions;
}

interface PeerMedia {
  transports: Map<string, types.WebRtcTransport>;
  producers: Map<string, { producer: types.Producer; source: MediaSource }>;
  consumers: Map<string, types.Consumer>;
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

  /** True when the peer has media objects here. */
  hasPeer(peerId: string): boolean {
    return this.#peers.has(peerId);
  }

  /** True when all the given transport ids still belong to the peer (used to resume after a reconnect). */
  peerHasTransports(peerId: string, transportIds: string[]): boolean {
    const peer = this.#peers.get(peerId);
    return !!peer && transportIds.length > 0 && transportIds.every((id) => peer.transports.has(id));
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

  /** Creates a WebRtcTransport for the peer (UDP preferred, TCP as fallback). */
  async createWebRtcTransport(peerId: string): Promise<TransportParams> {
    this.#assertOpen();
    const peer = this.#peer(peerId);
    const { listenIp, announcedAddress, minPort, maxPort } = this.#listen;
    const portRange = { min: minPort, max: maxPort };
    const transport = await this.#router.createWebRtcTransport({
      listenInfos: [
        { protocol: 'udp', ip: listenIp, announcedAddress, portRange },
        { protocol: 'tcp', ip: listenIp, announcedAddress, portRange },
      ],
      preferUdp: true,
      initialAvailableOutgoingBitrate: 1_000_000,
      appData: { peerId },
    });
    if (this.#closed) {
      transport.close();
      throw SfuError.sessionClosed(this.id);
    }
    peer.transports.set(transport.id, transport);
    transport.observer.once('close', () => peer.transports.delete(transport.id));
    if (this.#listen.maxIncomingBitrate) {
      await transport.setMaxIncomingBitrate(this.#listen.maxIncomingBitrate).catch(() => undefined);
    }
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
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
    for (const p of peer.producers.values()) {
      if (p.source === source) throw SfuError.duplicateSource(source);
    }
    const producer = await transport.produce({ kind, rtpParameters, appData: { peerId, source } });
    const info: ProducerInfo = { producerId: producer.id, peerId, kind, source };
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
    const consumer = await transport.consume({ producerId, rtpCapabilities, paused: true, appData: { peerId } });
    peer.consumers.set(consumer.id, consumer);
    consumer.observer.once('close', () => peer.consumers.delete(consumer.id));
    const onGone = () => {
      consumer.close();
      this.safeEmit('consumerclosed', peerId, consumer.id);
    };
    consumer.on('producerclose', onGone);
    consumer.on('transportclose', () => peer.consumers.delete(consumer.id));
    consumer.on('score', (s) => this.safeEmit('score', peerId, { consumerId: consumer.id, score: s.score }));
    return { id: consumer.id, producerId, kind: consumer.kind, rtpParameters: consumer.rtpParameters, peerId: owner.peerId, source: owner.source };
  }

  /** Resumes a paused consumer and asks the sender for a keyframe so video starts at once. */
  async resumeConsumer(peerId: string, consumerId: string): Promise<void> {
    const consumer = this.#peer(peerId).consumers.get(consumerId);
    if (!consumer) throw SfuError.notFound('CONSUMER_NOT_FOUND', consumerId);
    await consumer.resume();
    if (consumer.kind === 'video') await consumer.requestKeyFrame();
  }

  /** Closes everything of one peer (hang-up, or grace period expired). */
  closePeer(peerId: string): void {
    const peer = this.#peers.get(peerId);
    if (!peer) return;
    this.#peers.delete(peerId);
    // Closing a transport closes its producers and consumers (and emits producerclosed).
    for (const t of [...peer.transports.values()]) t.close();
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
      peer = { transports: new Map(), producers: new Map(), consumers: new Map() };
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

  #producerOwner(producerId: string): { peerId: string; source: MediaSource } | undefined {
    for (const [peerId, peer] of this.#peers) {
      const entry = peer.producers.get(producerId);
      if (entry) return { peerId, source: entry.source };
    }
    return undefined;
  }
}
