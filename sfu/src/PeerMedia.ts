import type { types } from 'mediasoup';
import { EnhancedEventEmitter } from 'mediasoup/extras';
import type { ConsumerParams, MediaSource, ProducerInfo } from './MediaSessionTypes.js';

/**
 * A producer of a peer. `origin` (the other session's id), `copyOf` (the original producer's id)
 * and `pipe` (the paused-until-consumed pipe consumer feeding it) are set for a producer piped in
 * from another session (see MediaSession.pipeProducerTo).
 */
export interface ProducerEntry {
  producer: types.Producer;
  source: MediaSource;
  origin?: string;
  copyOf?: string;
  pipe?: types.Consumer;
  /** Imported from another node's router of the same session over a RegionPipe (see MediaSession.importProducer). */
  remote?: true;
}

/**
 * A copy of a producer fed into this session (SessionPipes): from another session of this node,
 * or — `remote` — an import from another node's router of the same call that was fed into one of
 * this session's receiving slots (then `copyOf` is the import's id, the producer's id there).
 */
export interface PipedCopy {
  producer: types.Producer;
  source: MediaSource;
  origin: string;
  copyOf: string;
  pipe: types.Consumer;
  remote?: true;
}

/** A live producer with the peer it belongs to. */
export type OwnedProducer = ProducerEntry & { peerId: string };

/** Each consumer's appData names its transport (a piped-in producer starts once that is connected). */
export interface ConsumerAppData extends types.AppData {
  peerId: string;
  transportId: string;
}

/**
 * Set when the client gave its RTP capabilities on joining: the server then creates this peer's
 * consumers itself, on its receive transport, and announces them with `consumernew` (no consume
 * request, one round trip less before each picture). See ConsumerPush.
 */
export interface PushState {
  rtpCapabilities: types.RtpCapabilities;
  recvTransportId?: string;
  chain?: Promise<void>;
  /** Sources to hold receiving slots for, and the receive transport they were last made on. */
  slots?: MediaSource[];
  slotsMadeOn?: string;
}

/** Events of a {@link PeerMedia}: what its session passes on, with the peer's id. */
export type PeerMediaEvents = {
  /** One of the peer's producers closed; `piped` for a copy piped in from another session. */
  producerclosed: [info: ProducerInfo, piped: boolean];
  /** A consumer of the peer was closed because its producer went away. */
  consumerclosed: [consumerId: string];
  /** Quality score (0–10) of one of the peer's producers or consumers. */
  score: [score: { consumerId?: string; producerId?: string; score: number }];
};

/**
 * A peer's transport: WebRTC for browsers; plain RTP with SRTP for a synthetic client (the load
 * generator of bench:sfu-capacity, or a gateway), which has no ICE or DTLS.
 */
export type PeerTransport = types.WebRtcTransport | types.PlainTransport;

/**
 * One peer's media objects in one session: its transports, its producers (own and piped
 * in) and its consumers. Every id a peer passes is looked up in these maps alone, so a peer can
 * never touch another peer's objects. Closing a mediasoup object removes it here.
 */
export class PeerMedia extends EnhancedEventEmitter<PeerMediaEvents> {
  readonly transports = new Map<string, PeerTransport>();
  /** Transports being created: counted against the budgets before the first await. */
  pendingTransports = 0;
  /** Sources being produced: "one track per source" holds for concurrent requests too. */
  readonly pendingSources = new Set<MediaSource>();
  readonly producers = new Map<string, ProducerEntry>();
  readonly consumers = new Map<string, types.Consumer<ConsumerAppData>>();
  push?: PushState;

  constructor(readonly id: string) {
    super();
  }

  /** Transports (each holds a port), those being created included. */
  get transportCount(): number {
    return this.transports.size + this.pendingTransports;
  }

  /** True when nothing of the peer is left (a peer only here through pipes, after its last copy). */
  get isEmpty(): boolean {
    return !this.transports.size && !this.producers.size && !this.consumers.size;
  }

  /** Producers sent by the peer's own transports (piped-in copies and pending ones not counted). */
  get ownProducerCount(): number {
    let n = 0;
    for (const p of this.producers.values()) if (p.origin === undefined) n += 1;
    return n;
  }

  /** Keeps a new transport until it closes. */
  addTransport(transport: PeerTransport): void {
    this.transports.set(transport.id, transport);
    (transport.observer as types.TransportObserver).once('close', () => this.transports.delete(transport.id));
  }

  /** Keeps a producer sent by one of the peer's transports; returns how others learn of it. */
  addOwnProducer(producer: types.Producer, source: MediaSource): ProducerInfo {
    const info: ProducerInfo = { producerId: producer.id, peerId: this.id, kind: producer.kind, source };
    this.producers.set(producer.id, { producer, source });
    producer.observer.once('close', () => {
      this.producers.delete(producer.id);
      this.safeEmit('producerclosed', info, false);
    });
    producer.on('score', (scores) => {
      const score = Math.min(...scores.map((s) => s.score));
      if (Number.isFinite(score)) this.safeEmit('score', { producerId: producer.id, score });
    });
    return info;
  }

  /** Keeps a copy of another session's producer, piped in for this peer. */
  addPipedProducer(copy: PipedCopy): ProducerInfo {
    const { producer, source, origin, copyOf, pipe, remote } = copy;
    const info: ProducerInfo = { producerId: producer.id, peerId: this.id, kind: producer.kind, source };
    this.producers.set(producer.id, { producer, source, origin, copyOf, pipe, ...(remote ? { remote } : {}) });
    producer.observer.once('close', () => {
      this.producers.delete(producer.id);
      this.safeEmit('producerclosed', info, true);
    });
    return info;
  }

  /**
   * Keeps a producer of this peer imported from another node (same id as there). It counts as
   * produced in this session (a desk link pipes it on like any other); only `remote` tells it apart.
   */
  addRemoteProducer(producer: types.Producer, source: MediaSource): ProducerInfo {
    const info: ProducerInfo = { producerId: producer.id, peerId: this.id, kind: producer.kind, source };
    this.producers.set(producer.id, { producer, source, remote: true });
    producer.observer.once('close', () => {
      this.producers.delete(producer.id);
      // Like a piped copy: a peer only here through another node is gone with its last track.
      this.safeEmit('producerclosed', info, true);
    });
    return info;
  }

  /** Keeps a new consumer; the peer is told (consumerclosed) when its producer goes. */
  addConsumer(consumer: types.Consumer<ConsumerAppData>): void {
    this.consumers.set(consumer.id, consumer);
    consumer.observer.once('close', () => this.consumers.delete(consumer.id));
    consumer.on('producerclose', () => {
      consumer.close();
      this.safeEmit('consumerclosed', consumer.id);
    });
    consumer.on('transportclose', () => this.consumers.delete(consumer.id));
    consumer.on('score', (s) => this.safeEmit('score', { consumerId: consumer.id, score: s.score }));
  }

  /**
   * Closes everything of the peer. Closing a transport closes its producers and consumers (and
   * emits producerclosed); producers piped in for the peer have no transport here and are closed
   * one by one.
   */
  close(): void {
    for (const t of [...this.transports.values()]) t.close();
    for (const { producer } of [...this.producers.values()]) producer.close();
  }
}

/** What a client needs to set up its side of a consumer, with whose track it carries. */
export function consumerParams(consumer: types.Consumer, owner: { peerId: string; source: MediaSource }): ConsumerParams {
  return { id: consumer.id, producerId: consumer.producerId, kind: consumer.kind, rtpParameters: consumer.rtpParameters, peerId: owner.peerId, source: owner.source };
}
