import type { types } from 'mediasoup';
import { EnhancedEventEmitter } from 'mediasoup/extras';
import type { ConsumerParams, MediaSource } from './MediaSessionTypes.js';
import { consumerParams, type ConsumerAppData, type OwnedProducer, type PeerMedia, type PeerTransport } from './PeerMedia.js';
import { SfuError } from './SfuError.js';

/**
 * A receiving slot: a producer in the session's router on a loopback PlainTransport of its own,
 * already consumed by `receiver`, that nothing feeds yet. Binding it (see SessionPipes) sends
 * another session's producer into it, matched by MID, and the receiver's picture starts without a
 * renegotiation.
 */
export interface Slot {
  producer: types.Producer;
  source: MediaSource;
  receiver: string;
  /** The slot's consumer on the receiver's receive transport. */
  consumer: types.Consumer<ConsumerAppData>;
  /** Where feeds send to; one per receive transport, shared by its slots. */
  port: types.PlainTransport;
}

/** Events of {@link ReceivingSlots}. */
export type ReceivingSlotsEvents = {
  /** An idle slot was dropped: its receiver must hear that its consumer is gone. */
  slotdropped: [receiver: string, consumerId: string];
  /** New idle slots were made (a receiver's transport came): something waiting may fill them. */
  slotsmade: [];
};

/** Options for {@link ReceivingSlots}. */
export interface ReceivingSlotsOptions {
  /** The session's router: slot ports and producers live there. */
  router: types.Router;
  /** True once the session closed (slots made meanwhile are dropped). */
  isClosed: () => boolean;
  /** Sources the peers other than `peerId` send into the session now. */
  sourcesBesides: (peerId: string) => Set<MediaSource>;
}

/** The MID header extension: how a slot's transport tells its producers apart. */
const MID_URI = 'urn:ietf:params:rtp-hdrext:sdes:mid';

/**
 * The session's receiving slots nothing feeds yet, by their producer id (a bound slot is a peer's
 * producer, see PeerMedia). They let a desk or a waiting counter negotiate the tracks of a call
 * that is not linked yet, so its pictures start the moment it is.
 */
export class ReceivingSlots extends EnhancedEventEmitter<ReceivingSlotsEvents> {
  readonly #o: ReceivingSlotsOptions;
  readonly #slots = new Map<string, Slot>();

  constructor(options: ReceivingSlotsOptions) {
    super();
    this.#o = options;
  }

  /** The idle slot whose producer this is, if any. */
  get(producerId: string): Slot | undefined {
    return this.#slots.get(producerId);
  }

  /** The ports idle slots are fed through (one per receive transport). */
  idlePorts(): types.PlainTransport[] {
    return [...new Set([...this.#slots.values()].filter((s) => !s.port.closed).map((s) => s.port))];
  }

  /** Sources of the idle slots (sorted), for tests and diagnostics. */
  idleSources(): MediaSource[] {
    return [...this.#slots.values()].map((s) => s.source).sort();
  }

  /**
   * Makes the receiver's slots on its receive transport `recv`: for each source no other peer sends
   * yet, a producer on the transport's slot port and a paused consumer of it. Returns what to
   * announce.
   */
  async make(receiver: PeerMedia, recv: PeerTransport | undefined, rtpCapabilities: types.RtpCapabilities, sources: MediaSource[]): Promise<ConsumerParams[]> {
    const router = this.#o.router;
    const present = () => this.#o.sourcesBesides(receiver.id);
    const wanted = sources.filter((s) => !present().has(s));
    if (!recv || !wanted.length) return [];
    const transportId = recv.id;
    const port = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: true, enableSctp: false });
    (recv.observer as types.TransportObserver).once('close', () => port.close());
    if (recv.closed) port.close();
    const made = await Promise.allSettled(
      wanted.map(async (source) => {
        const kind: types.MediaKind = source === 'mic' ? 'audio' : 'video';
        const producer = await port.produce({ kind, rtpParameters: slotRtpParameters(router.rtpCapabilities, kind, source, `slot-${transportId}`), appData: { slot: source } });
        try {
          const consumer = await recv.consume<ConsumerAppData>({ producerId: producer.id, rtpCapabilities, paused: true, appData: { peerId: receiver.id, transportId } });
          receiver.addConsumer(consumer);
          return { producer, source, receiver: receiver.id, consumer, port } satisfies Slot;
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
      if (now.has(slot.source) || this.#o.isClosed()) {
        slot.producer.close();
        continue;
      }
      this.#slots.set(slot.producer.id, slot);
      slot.producer.observer.once('close', () => {
        if (this.#slots.get(slot.producer.id) === slot) this.#slots.delete(slot.producer.id);
      });
      out.push(slotParams(slot));
    }
    if (out.length) this.safeEmit('slotsmade');
    return out;
  }

  /** Takes an idle slot that can carry the producer (same source and codec), if there is one. */
  take(owner: OwnedProducer): Slot | undefined {
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
   * Makes a slot taken by a feed that ended before its link idle again (see SessionPipes.feedHeld):
   * its consumer was negotiated and stays. Dropped instead if another peer's track of its source
   * is consumed directly by now (no duplicates), or if it is dead.
   */
  giveBack(slot: Slot): void {
    if (slot.producer.closed || slot.consumer.closed || this.#o.isClosed()) return slot.producer.close();
    if (this.#o.sourcesBesides(slot.receiver).has(slot.source)) {
      slot.consumer.close();
      this.safeEmit('slotdropped', slot.receiver, slot.consumer.id);
      return slot.producer.close();
    }
    this.#slots.set(slot.producer.id, slot);
  }

  /**
   * Closes idle slots of `source` (a track of that source arrived by another way; no duplicates).
   * The receiver is told here, synchronously (slotdropped), so that it hears of it before the new
   * consumer is announced: the worker's own notification may come after that.
   */
  dropIdle(source: MediaSource, ownerPeerId: string): void {
    for (const slot of [...this.#slots.values()]) {
      if (slot.source !== source || slot.receiver === ownerPeerId) continue;
      this.#slots.delete(slot.producer.id);
      if (!slot.consumer.closed) {
        slot.consumer.close();
        this.safeEmit('slotdropped', slot.receiver, slot.consumer.id);
      }
      slot.producer.close();
    }
  }
}

/** A receiving slot's consumer as announced while nothing feeds it: no peer yet. */
export function slotParams(slot: Slot): ConsumerParams {
  return { ...consumerParams(slot.consumer, { peerId: '', source: slot.source }), slot: true };
}

/**
 * A slot producer's parameters: the router's first codec of the kind (what the pages send; another
 * codec is not fed into the slot, see take), its payload type and feedback, and the MID header
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
