import type { types } from 'mediasoup';
import { EnhancedEventEmitter } from 'mediasoup/extras';
import type { ConsumerParams, MediaSource, ProducerInfo } from './MediaSessionTypes.js';
import { consumerParams, type OwnedProducer, type PeerMedia } from './PeerMedia.js';
import { slotParams, type ReceivingSlots } from './ReceivingSlots.js';

/** Events of {@link ConsumerPush}. */
export type ConsumerPushEvents = {
  /** Consumers the server created for a push peer, in one batch: tell that peer. */
  consumernew: [peerId: string, consumers: ConsumerParams[], transportId: string];
};

/** Options for {@link ConsumerPush}: narrow views of the session it serves. */
export interface ConsumerPushOptions {
  /** The live peer of that id (a peer closed and re-created is another one). */
  peer: (peerId: string) => PeerMedia | undefined;
  /** Every live peer. */
  peers: () => Iterable<PeerMedia>;
  isClosed: () => boolean;
  /** A live producer of any peer, with its peer. */
  ownerOf: (producerId: string) => OwnedProducer | undefined;
  /** Producers of every peer except `peerId`. */
  producersBesides: (peerId: string) => ProducerInfo[];
  /** Creates a paused consumer of a producer on one of the peer's transports (MediaSession.consume). */
  consume: (peerId: string, transportId: string, producerId: string, rtpCapabilities: types.RtpCapabilities) => Promise<ConsumerParams>;
  slots: ReceivingSlots;
}

/**
 * Server-made consumers: for a peer that gave its RTP capabilities on joining, the server creates
 * a consumer of every other peer's producer on the peer's receive transport as soon as both exist,
 * and announces them in batches (`consumernew`), so the client needs no consume round trip and one
 * renegotiation per batch.
 */
export class ConsumerPush extends EnhancedEventEmitter<ConsumerPushEvents> {
  readonly #o: ConsumerPushOptions;

  constructor(options: ConsumerPushOptions) {
    super();
    this.#o = options;
  }

  /**
   * From now on the server creates the peer's consumers (piped-in producers once the pipe's
   * caller calls {@link push}, so a batch goes out together). `slots` names tracks the peer is
   * waiting for from a session not linked yet: each receive transport then gets a receiving slot
   * per source (see ReceivingSlots), negotiated with the transport's first consumers.
   */
  enable(peer: PeerMedia, rtpCapabilities: types.RtpCapabilities, slots: MediaSource[] | undefined): void {
    peer.push = {
      rtpCapabilities,
      ...(peer.push?.recvTransportId ? { recvTransportId: peer.push.recvTransportId } : {}),
      ...(peer.push?.slotsMadeOn ? { slotsMadeOn: peer.push.slotsMadeOn } : {}),
      ...(slots?.length ? { slots } : {}),
    };
  }

  /** A push peer's new receive transport: what is already there is consumed right away. */
  receiveTransportCreated(peer: PeerMedia, transportId: string): void {
    if (!peer.push) return;
    peer.push.recvTransportId = transportId;
    void this.push(peer.id);
  }

  /**
   * Creates the push peer's missing consumers (one per producer of the other peers, pictures
   * first) and announces them in ONE `consumernew` event. With `again`, consumers that already
   * exist are announced too (a client that reconnected may have missed them; it skips the ones it
   * has). Runs one at a time per peer.
   */
  push(peerId: string, options: { again?: boolean } = {}): Promise<void> {
    const peer = this.#o.peer(peerId);
    if (!peer?.push) return Promise.resolve();
    const push = peer.push;
    push.chain = (push.chain ?? Promise.resolve()).then(async () => {
      const transportId = push.recvTransportId;
      if (!transportId || this.#o.isClosed() || this.#o.peer(peerId) !== peer) return;
      const announce: ConsumerParams[] = [];
      if (options.again) {
        for (const c of peer.consumers.values()) {
          if (c.appData.transportId !== transportId) continue;
          const owner = this.#o.ownerOf(c.producerId);
          const slot = this.#o.slots.get(c.producerId);
          if (owner) announce.push(consumerParams(c, owner));
          else if (slot) announce.push(slotParams(slot));
        }
      }
      if (push.slots && push.slotsMadeOn !== transportId) {
        push.slotsMadeOn = transportId;
        announce.push(...(await this.#o.slots.make(peer, peer.transports.get(transportId), push.rtpCapabilities, push.slots)));
      }
      const have = new Set([...peer.consumers.values()].map((c) => c.producerId));
      const missing = this.#o.producersBesides(peerId).filter((p) => !have.has(p.producerId));
      const made = await Promise.allSettled(missing.map((p) => this.#o.consume(peerId, transportId, p.producerId, push.rtpCapabilities)));
      // A producer, the transport or the session may have gone meanwhile: nothing to announce for it.
      for (const r of made) if (r.status === 'fulfilled') announce.push(r.value);
      announce.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'video' ? -1 : 1));
      if (announce.length && !this.#o.isClosed()) this.safeEmit('consumernew', peerId, announce, transportId);
    });
    return push.chain;
  }

  /** {@link push} for every push peer but one (the owner of what is new). */
  async pushToOthers(exceptPeerId: string): Promise<void> {
    await Promise.all([...this.#o.peers()].filter((peer) => peer.id !== exceptPeerId && peer.push).map((peer) => this.push(peer.id)));
  }
}
