import type { types } from 'mediasoup-client';
import type { ConsumerWire, ProducerInfoWire } from '@rvw/protocol/messages';
import type { SignalClient } from '@rvw/protocol/client/SignalClient';

/** A track source, as in the protocol. */
export type Source = 'mic' | 'face' | 'document' | 'screen';

/** A remote track arriving from the other side of the call. */
export interface RemoteTrack {
  consumerId: string;
  producerId: string;
  peerId: string;
  source: Source;
  kind: 'audio' | 'video';
  track: MediaStreamTrack;
}

/** Inbound figures of one remote track, from getStats. */
export interface InboundStat {
  source: Source;
  kind: string;
  framesDecoded: number;
  packetsReceived: number;
  packetsLost: number;
  bytesReceived: number;
  /** Video: seconds frozen (a frame late by > max(3 × mean, mean + 150 ms)) and paused (> 5 s). */
  totalFreezesDuration: number;
  totalPausesDuration: number;
  /** Audio: samples received and those the decoder had to make up (loss concealment). */
  totalSamplesReceived: number;
  concealedSamples: number;
  /** Video: keyframes decoded, and the keyframe requests (PLI) and NACKs this receiver sent: a stalled picture tells which way it failed. */
  keyFramesDecoded: number;
  pliCount: number;
  nackCount: number;
}

/** A producer to consume: announced (the client asks for a consumer) or already consumed by the server. */
type ConsumeItem = ProducerInfoWire & { pushed?: { consumer: ConsumerWire; transportId: string } };

/** Options of {@link RemoteTracks}. */
export interface RemoteTracksOptions {
  signal: SignalClient;
  /** The call's receive transport, while it has one. */
  recvTransport: () => types.Transport | undefined;
  /** Our RTP capabilities (the loaded Device's), for the consumers we ask for. */
  rtpCapabilities: () => types.RtpCapabilities | undefined;
  onTrack: (t: RemoteTrack) => void;
  onTrackEnded: (t: RemoteTrack) => void;
  /** Consume progress (`announced:face`, `consumed:face`, `resumed:face`), for the page's marks. */
  onStatus: (status: string) => void;
}

/**
 * What a call receives: the other side's producers turned into consumers — asked for by us
 * (announced producers) or made by the server for our receive transport (`consumers.new`, which
 * may be an unused receiving slot the server closes again) — drained in batches, pictures first,
 * and held back while the transports are being (re)built.
 */
export class RemoteTracks {
  readonly #o: RemoteTracksOptions;
  readonly #remote = new Map<string, { consumer: types.Consumer; info: RemoteTrack }>();
  /** Producers waiting to be consumed: drained in batches, pictures first. */
  readonly #queue: ConsumeItem[] = [];
  #draining = false;
  /** Consumers the server closed, possibly before we set them up (an unused receiving slot). */
  readonly #closedConsumers = new Set<string>();
  /** Producers announced before the receive transport existed; consumed once it does. */
  readonly #pending = new Map<string, ConsumeItem>();
  /** True once transports exist: consumers may be created. */
  #ready = false;
  /** The pictures' jitter buffer target (ms), or null for the browser's own. */
  #jitterTargetMs: number | null = null;

  constructor(options: RemoteTracksOptions) {
    this.#o = options;
  }

  /** The transports are being replaced: what is announced meanwhile waits for {@link ready}. */
  holdBack(): void {
    this.#ready = false;
  }

  /** The receive transport exists: consume the `announced` producers, then what waited for it. */
  ready(announced: ProducerInfoWire[]): void {
    this.#ready = true;
    for (const p of announced) this.#enqueue(p);
    for (const p of this.#pending.values()) this.#enqueue(p);
    this.#pending.clear();
  }

  /** A producer of the other side to ask a consumer for. */
  announce(producer: ProducerInfoWire): void {
    this.#enqueue(producer);
  }

  /** Consumers the server made for our receive transport `transportId`. */
  pushed(transportId: string, consumers: ConsumerWire[]): void {
    for (const consumer of consumers) {
      const { id: _id, rtpParameters: _rtp, ...producer } = consumer;
      this.#enqueue({ ...producer, pushed: { consumer, transportId } });
    }
  }

  /** The producer is gone: so are its consumers (and its pending announcement). */
  producerClosed(producerId: string): void {
    this.#pending.delete(producerId);
    for (const [id, r] of this.#remote) if (r.info.producerId === producerId) this.#remove(id);
  }

  /** The server closed this consumer (perhaps one we have not set up yet). */
  consumerClosed(consumerId: string): void {
    this.#closedConsumers.add(consumerId);
    this.#remove(consumerId);
  }

  /** Closes every consumer (their transport is about to go). */
  removeAll(): void {
    for (const id of [...this.#remote.keys()]) this.#remove(id);
  }

  /**
   * How long the pictures wait for late packets before they are shown (`jitterBufferTarget`, ms;
   * null: the browser's own, a few tens of ms). Raised on a lossy path so that a frame waits for
   * its retransmission instead of freezing the picture; applies to the pictures now and later.
   */
  setJitterTarget(ms: number | null): void {
    if (ms === this.#jitterTargetMs) return;
    this.#jitterTargetMs = ms;
    for (const { consumer } of this.#remote.values()) this.#applyJitterTarget(consumer);
  }

  #applyJitterTarget(consumer: types.Consumer): void {
    if (consumer.kind !== 'video' || consumer.closed) return;
    // Chrome 124+; older browsers ignore the property.
    const receiver = consumer.rtpReceiver as (RTCRtpReceiver & { jitterBufferTarget?: number | null }) | undefined;
    if (receiver) receiver.jitterBufferTarget = this.#jitterTargetMs;
  }

  /** Inbound video/audio statistics per remote track, from getStats. */
  async inboundStats(): Promise<InboundStat[]> {
    const out: InboundStat[] = [];
    for (const { consumer, info } of this.#remote.values()) {
      const report = await consumer.getStats();
      const sum = { framesDecoded: 0, packetsReceived: 0, packetsLost: 0, bytesReceived: 0, totalFreezesDuration: 0, totalPausesDuration: 0, totalSamplesReceived: 0, concealedSamples: 0, keyFramesDecoded: 0, pliCount: 0, nackCount: 0 };
      report.forEach((s: Record<string, unknown>) => {
        if (s.type !== 'inbound-rtp') return;
        for (const key of Object.keys(sum) as (keyof typeof sum)[]) sum[key] += Number(s[key] ?? 0);
      });
      out.push({ source: info.source, kind: info.kind, ...sum });
    }
    return out;
  }

  #enqueue(p: ConsumeItem): void {
    this.#queue.push(p);
    if (this.#draining) return;
    this.#draining = true;
    // Drain on the next microtask, so a batch queued together (a join answer) is ordered as a whole.
    queueMicrotask(() => void this.#drain());
  }

  // Everything queued so far is set up together: mediasoup-client folds the consume() calls of
  // one tick into a single renegotiation of the receive connection (consumers the server made
  // arrive in one batch). Consumers we still have to ask for are requested concurrently.
  async #drain(): Promise<void> {
    try {
      while (this.#queue.length) {
        const batch = this.#queue.splice(0).sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'video' ? -1 : 1));
        await Promise.all(batch.map((p) => this.#consume(p).catch(() => undefined)));
      }
    } finally {
      this.#draining = false;
    }
  }

  async #consume(p: ConsumeItem): Promise<void> {
    const { signal, onStatus } = this.#o;
    onStatus(`announced:${p.source}`);
    const recv = this.#o.recvTransport();
    const rtpCapabilities = this.#o.rtpCapabilities();
    if (!this.#ready || !recv || !rtpCapabilities) {
      // Mid-(re)build: the transport this would use is about to be replaced.
      this.#pending.set(p.producerId, p);
      return;
    }
    for (const r of this.#remote.values()) if (r.info.producerId === p.producerId) return;
    // A consumer the server made for a transport we no longer have is gone with that transport.
    if (p.pushed && p.pushed.transportId !== recv.id) return;
    if (p.pushed && this.#closedConsumers.has(p.pushed.consumer.id)) return;
    const params = p.pushed
      ? { ...p.pushed.consumer, rtpParameters: p.pushed.consumer.rtpParameters as types.RtpParameters }
      : await signal.request(
          'consume',
          { transportId: recv.id, producerId: p.producerId, rtpCapabilities: rtpCapabilities as never },
        );
    const consumer = await recv.consume({ id: params.id, producerId: params.producerId, kind: params.kind, rtpParameters: params.rtpParameters as types.RtpParameters });
    if (this.#closedConsumers.has(consumer.id)) {
      consumer.close();
      return;
    }
    const info: RemoteTrack = { consumerId: consumer.id, producerId: params.producerId, peerId: params.peerId, source: params.source, kind: params.kind, track: consumer.track };
    this.#remote.set(consumer.id, { consumer, info });
    if (this.#jitterTargetMs !== null) this.#applyJitterTarget(consumer);
    this.#o.onTrack(info);
    onStatus(`consumed:${info.source}`);
    // Not awaited: the next consume need not wait for this round trip.
    signal.request('resumeConsumer', { consumerId: consumer.id }).then(
      () => onStatus(`resumed:${info.source}`),
      () => undefined,
    );
  }

  #remove(consumerId: string): void {
    const entry = this.#remote.get(consumerId);
    if (!entry) return;
    this.#remote.delete(consumerId);
    entry.consumer.close();
    this.#o.onTrackEnded(entry.info);
  }
}
