import type { types } from 'mediasoup-client';
import type { DeviceCache } from './DeviceCache';
import type { SignalClient } from '@rvw/protocol/client/SignalClient';
import type { Source } from './RemoteTracks';

/** Options of {@link MediaTransports}. */
export interface MediaTransportsOptions {
  signal: SignalClient;
  devices: DeviceCache;
  /** Transport connection states (`send:connected`, …), for the page's marks. */
  onStatus: (status: string) => void;
  /** Counted by the call (tests and diagnostics read it). */
  onIceRestart: () => void;
}

/**
 * The Device and the two WebRTC transports of a call: created together, connected through the
 * signaling, their ICE restarted when a connection goes disconnected/failed. Producing and
 * consuming use them through the narrow getters {@link send}, {@link recv}, {@link device}.
 */
export class MediaTransports {
  readonly #o: MediaTransportsOptions;
  #device: types.Device | undefined;
  #send: types.Transport | undefined;
  #recv: types.Transport | undefined;

  constructor(options: MediaTransportsOptions) {
    this.#o = options;
  }

  /** The loaded Device (undefined before the first open). */
  get device(): types.Device | undefined {
    return this.#device;
  }

  /** The send transport, while open. */
  get send(): types.Transport | undefined {
    return this.#send;
  }

  /** The receive transport, while open. */
  get recv(): types.Transport | undefined {
    return this.#recv;
  }

  /** Ids of the open transports (what a resume asks the server to keep). */
  get ids(): string[] {
    return [this.#send?.id, this.#recv?.id].filter((x): x is string => !!x);
  }

  /** Loads the Device for the router and creates both transports (one round trip for the two). */
  async open(rtpCapabilities: types.RtpCapabilities, iceServers: RTCIceServer[]): Promise<void> {
    this.#device = await this.#o.devices.load(rtpCapabilities);
    [this.#send, this.#recv] = await Promise.all([this.#create('send', iceServers), this.#create('recv', iceServers)]);
    // Connect the receive side now, before there is anything to consume (see openDataChannel).
    void this.#openDataChannel(this.#recv);
  }

  /** Forces an ICE restart of both transports (the network-change path). */
  async restartIce(): Promise<void> {
    for (const t of [this.#send, this.#recv]) if (t) await this.#restartIceOf(t);
  }

  /** Closes both transports (their producers and consumers close with them). */
  close(): void {
    this.#send?.close();
    this.#recv?.close();
    this.#send = undefined;
    this.#recv = undefined;
  }

  async #create(direction: 'send' | 'recv', iceServers: RTCIceServer[]): Promise<types.Transport> {
    const { signal } = this.#o;
    const params = await signal.request('createWebRtcTransport', { direction });
    const device = this.#device!;
    // The protocol keeps mediasoup's parameters opaque; they are mediasoup-client's own types.
    const options = { ...(params as types.TransportOptions), iceServers };
    const transport = direction === 'send' ? device.createSendTransport(options) : device.createRecvTransport(options);
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      signal.request('connectTransport', { transportId: transport.id, dtlsParameters }).then(() => callback(), errback);
    });
    if (direction === 'send') {
      transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
        signal
          .request('produce', {
            transportId: transport.id,
            kind,
            rtpParameters: rtpParameters as never,
            source: (appData as { source: Source }).source,
          })
          .then(({ producerId }) => callback({ id: producerId }), errback);
      });
    }
    transport.on('connectionstatechange', (state) => {
      this.#o.onStatus(`${direction}:${state}`);
      if (state === 'disconnected' || state === 'failed') void this.#restartIceOf(transport).catch(() => undefined);
    });
    return transport;
  }

  /**
   * A receive transport connects on its first consume; opening its (silent) data channel connects
   * it at once instead, so the first picture later does not wait for ICE and DTLS, nor lose the
   * keyframe it asked for while the handshake ran.
   */
  async #openDataChannel(transport: types.Transport): Promise<void> {
    try {
      const params = await this.#o.signal.request('openDataChannel', { transportId: transport.id });
      if (!transport.closed) await transport.consumeData(params);
    } catch {
      // Only a head start: media still connects the transport on its first consume.
    }
  }

  async #restartIceOf(transport: types.Transport): Promise<void> {
    if (transport.closed) return;
    const { iceParameters } = await this.#o.signal.request('restartIce', { transportId: transport.id });
    await transport.restartIce({ iceParameters: iceParameters as types.IceParameters });
    this.#o.onIceRestart();
  }
}
