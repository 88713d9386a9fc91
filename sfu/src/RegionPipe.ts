import type { types } from 'mediasoup';
import { EnhancedEventEmitter } from 'mediasoup/extras';

/** Where one end of a pipe receives, and the SRTP key it sends with: what the other node needs. */
export interface PipeEndpoint {
  ip: string;
  port: number;
  srtpParameters?: types.SrtpParameters;
}

/** A producer as it crosses the pipe: the other end re-creates it with the same id. */
export interface PipedProducer {
  producerId: string;
  kind: types.MediaKind;
  rtpParameters: types.RtpParameters;
  paused: boolean;
  appData: Record<string, unknown>;
}

/** Options for {@link RegionPipe.create}. */
export interface RegionPipeOptions {
  /** The router of this region's half of the call. */
  router: types.Router;
  listenIp: string;
  /** The address the partner region's node reaches this one at. */
  announcedAddress?: string | undefined;
  portRange?: { min: number; max: number };
  /** SRTP on the pipe (default true): media between regions leaves our network encrypted. */
  enableSrtp?: boolean;
  /**
   * RTX/NACK on the pipe (default true): a packet lost between nodes is resent across that one
   * hop instead of by the far sender. Both ends must agree.
   */
  enableRtx?: boolean;
}

/** Events of a {@link RegionPipe}. */
export type RegionPipeEvents = {
  /** A producer this end exported went away: tell the other end to close its copy. */
  exportclosed: [producerId: string];
};

/**
 * One end of the media pipe between the two regions of a cross-region call. Each participant
 * connects to the node of their own region; the two routers are joined by a mediasoup
 * PipeTransport pair (RTP over UDP, SRTP by default), so each track crosses the region boundary
 * once however many consumers it has. The endpoints and producer descriptions travel between
 * the nodes over signaling; this class only does the media side.
 */
export class RegionPipe extends EnhancedEventEmitter<RegionPipeEvents> {
  readonly #transport: types.PipeTransport;
  readonly #exports = new Map<string, types.Consumer>();
  readonly #imports = new Map<string, types.Producer>();
  #connected = false;
  #remote: PipeEndpoint | undefined;

  private constructor(transport: types.PipeTransport) {
    super();
    this.#transport = transport;
  }

  /** Creates this end's PipeTransport on the region's router. */
  static async create(options: RegionPipeOptions): Promise<RegionPipe> {
    const transport = await options.router.createPipeTransport({
      listenInfo: {
        protocol: 'udp',
        ip: options.listenIp,
        ...(options.announcedAddress ? { announcedAddress: options.announcedAddress } : {}),
        ...(options.portRange ? { portRange: options.portRange } : {}),
      },
      enableSrtp: options.enableSrtp ?? true,
      enableRtx: options.enableRtx ?? true,
    });
    return new RegionPipe(transport);
  }

  /** What the other end needs to connect to this one. */
  get local(): PipeEndpoint {
    const { localAddress, localPort } = this.#transport.tuple;
    return { ip: localAddress, port: localPort, ...(this.#transport.srtpParameters ? { srtpParameters: this.#transport.srtpParameters } : {}) };
  }

  /** True once closed (explicitly or with its router). */
  get closed(): boolean {
    return this.#transport.closed;
  }

  /** True once pointed at the other end. */
  get connected(): boolean {
    return this.#connected;
  }

  /** The other end this one was pointed at, once connected. */
  get remote(): PipeEndpoint | undefined {
    return this.#remote;
  }

  /** Points this end at the other one; a PipeTransport connects once, so later calls do nothing. */
  async connect(remote: PipeEndpoint): Promise<void> {
    if (this.#connected) return;
    this.#connected = true;
    this.#remote = remote;
    await this.#transport.connect({ ip: remote.ip, port: remote.port, ...(remote.srtpParameters ? { srtpParameters: remote.srtpParameters } : {}) });
  }

  /** Starts sending a local producer through the pipe; import the result on the other end. */
  async export(producer: types.Producer): Promise<PipedProducer> {
    const producerId = producer.id;
    const existing = this.#exports.get(producerId);
    const consumer = existing ?? (await this.#transport.consume({ producerId }));
    if (!existing) {
      this.#exports.set(producerId, consumer);
      const gone = () => {
        if (this.#exports.delete(producerId)) this.safeEmit('exportclosed', producerId);
      };
      consumer.on('producerclose', gone);
      consumer.observer.once('close', gone);
    }
    return {
      producerId,
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters,
      paused: consumer.producerPaused,
      // The producer's own appData (its source: mic, face, document, screen) travels with it.
      appData: { ...(producer.appData as Record<string, unknown>) },
    };
  }

  /** Re-creates the other end's producer on this router (same id), for this region's consumers. */
  async import(piped: PipedProducer): Promise<types.Producer> {
    const producer = await this.#transport.produce({
      id: piped.producerId,
      kind: piped.kind,
      rtpParameters: piped.rtpParameters,
      paused: piped.paused,
      appData: { ...piped.appData, piped: true },
    });
    this.#imports.set(producer.id, producer);
    producer.observer.once('close', () => this.#imports.delete(producer.id));
    return producer;
  }

  /** Closes this end's copy of a producer the other end stopped exporting. */
  closeImport(producerId: string): void {
    this.#imports.get(producerId)?.close();
  }

  /** What the worker holds on this end: one consumer per producer sent, one producer per producer received. */
  async dump(): Promise<{ consumerIds: string[]; producerIds: string[] }> {
    const d = await this.#transport.dump();
    return { consumerIds: [...d.consumerIds], producerIds: [...d.producerIds] };
  }

  /** Closes the pipe and everything that crosses it on this side; idempotent. */
  close(): void {
    if (!this.#transport.closed) this.#transport.close();
    this.#exports.clear();
    this.#imports.clear();
  }
}
