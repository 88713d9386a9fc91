import { Device, type types } from 'mediasoup-client';
import type { ProducerInfoWire, ServerNotification } from '../../../signaling/src/protocol';
import type { SignalClient } from './SignalClient';

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

/** Call quality: mediasoup's 0–10 score plus what getStats says. */
export interface Quality {
  score: number | undefined;
  rttMs: number | undefined;
  lossPct: number | undefined;
  level: 'good' | 'fair' | 'poor' | 'unknown';
}

/**
 * Devices by router capabilities. Every router of a node offers the same codecs, so the (slow)
 * Device.load — a throw-away RTCPeerConnection offer — runs once per page, ideally at page load.
 */
const devices = new Map<string, Promise<Device>>();

/** A loaded Device for these router capabilities, shared across calls. */
export function loadDevice(routerRtpCapabilities: types.RtpCapabilities): Promise<Device> {
  const key = JSON.stringify(routerRtpCapabilities);
  let device = devices.get(key);
  if (!device) {
    device = (async () => {
      const d = new Device();
      await d.load({ routerRtpCapabilities });
      return d;
    })();
    devices.set(key, device);
    device.catch(() => devices.delete(key));
  }
  return device;
}

/** Loads the Device before the first call (the node answers getRouterRtpCapabilities outside a session too). */
export async function preloadDevice(signal: SignalClient): Promise<void> {
  await loadDevice(await signal.request<'getRouterRtpCapabilities', types.RtpCapabilities>('getRouterRtpCapabilities', {}));
}

/** Callbacks of a {@link CallClient}. */
export interface CallClientHandlers {
  onRemoteTrack: (t: RemoteTrack) => void;
  onRemoteTrackEnded: (t: RemoteTrack) => void;
  onPeer?: (event: 'joined' | 'left', peerId: string, role?: string) => void;
  onQuality?: (q: Quality) => void;
  onEnded?: (reason: string) => void;
  onStatus?: (status: string) => void;
}

interface JoinAnswer {
  rtpCapabilities: types.RtpCapabilities;
  resumed: boolean;
  producers: ProducerInfoWire[];
  iceServers: RTCIceServer[];
}

/**
 * One side of a call over mediasoup: joins the session, sends local tracks, consumes the other
 * side's, and keeps media alive: resumes after a signaling reconnect (same transports when the
 * server still has them), restarts ICE when a transport goes disconnected/failed, and rebuilds
 * everything when the server says the media session was reset.
 */
export class CallClient {
  #device: Device | undefined;
  #send: types.Transport | undefined;
  #recv: types.Transport | undefined;
  readonly #local = new Map<Source, MediaStreamTrack>();
  readonly #producers = new Map<Source, types.Producer>();
  readonly #remote = new Map<string, { consumer: types.Consumer; info: RemoteTrack }>();
  /** Producers waiting to be consumed, one at a time; video is taken before audio. */
  readonly #consumeQueue: ProducerInfoWire[] = [];
  #consuming = false;
  /** Producers announced before the receive transport existed; consumed once it does. */
  readonly #pendingProducers = new Map<string, ProducerInfoWire>();
  #scores = new Map<string, number>();
  #ended = false;
  #building: Promise<void> | undefined;
  /** True once transports exist and local tracks are sent: consumers may be created. */
  #ready = false;
  #statsTimer: number | undefined;
  /** Counts of ICE restarts and rebuilds, for tests and diagnostics. */
  readonly counters = { iceRestarts: 0, rebuilds: 0, resumes: 0 };

  constructor(
    private readonly signal: SignalClient,
    readonly sessionId: string,
    readonly peerId: string,
    private readonly handlers: CallClientHandlers,
  ) {
    signal.onNotification((n) => this.#onNotification(n));
  }

  /** True while our tracks are connected but held back (the counter waiting in the queue). */
  #sendingPaused = false;

  /**
   * Joins the call and sends the given tracks. With `paused` the tracks are connected but held
   * back (track disabled, no renegotiation), so `resumeSending()` starts them at once later.
   */
  async start(tracks: { source: Source; track: MediaStreamTrack }[], options: { paused?: boolean } = {}): Promise<void> {
    this.#sendingPaused = options.paused ?? false;
    for (const t of tracks) this.#local.set(t.source, t.track);
    await this.#build();
    this.#statsTimer = window.setInterval(() => void this.#sampleQuality(), 2000);
  }

  /** After the signaling socket reconnected: take the session back. */
  async resume(): Promise<void> {
    if (this.#ended) return;
    if (this.#building) return this.#building;
    const transportIds = [this.#send?.id, this.#recv?.id].filter((x): x is string => !!x);
    const answer = await this.signal.request<'session.join', JoinAnswer>('session.join', {
      sessionId: this.sessionId,
      peerId: this.peerId,
      resumeTransportIds: transportIds,
    });
    if (answer.resumed) {
      this.counters.resumes++;
      this.handlers.onStatus?.('resumed');
      for (const p of answer.producers) this.#queueConsume(p);
      return;
    }
    await this.#build(answer);
  }

  /** Starts the held-back tracks (a clerk accepted). */
  resumeSending(): void {
    this.#sendingPaused = false;
    for (const p of this.#producers.values()) if (p.paused) p.resume();
  }

  /** Starts sending a screen share (clerk guiding the applicant). */
  async shareScreen(track: MediaStreamTrack): Promise<void> {
    this.#local.set('screen', track);
    track.addEventListener('ended', () => void this.stopScreen());
    await this.#produce('screen', track);
  }

  /** Stops the screen share. */
  async stopScreen(): Promise<void> {
    const p = this.#producers.get('screen');
    this.#local.delete('screen');
    if (!p) return;
    this.#producers.delete('screen');
    p.close();
    await this.signal.request('closeProducer', { producerId: p.id }).catch(() => undefined);
  }

  /** Forces an ICE restart of both transports (the network-change path). */
  async restartIce(): Promise<void> {
    for (const t of [this.#send, this.#recv]) if (t) await this.#restartIceOf(t);
  }

  /** Leaves the call (the other side is told). */
  async leave(): Promise<void> {
    this.#teardown();
    this.#ended = true;
    await this.signal.request('session.leave', {}).catch(() => undefined);
  }

  /** Inbound video/audio statistics per remote track, from getStats. */
  async inboundStats(): Promise<{ source: Source; kind: string; framesDecoded: number; packetsReceived: number; bytesReceived: number }[]> {
    const out = [];
    for (const { consumer, info } of this.#remote.values()) {
      const report = await consumer.getStats();
      let framesDecoded = 0, packetsReceived = 0, bytesReceived = 0;
      report.forEach((s: Record<string, unknown>) => {
        if (s.type === 'inbound-rtp') {
          framesDecoded += Number(s.framesDecoded ?? 0);
          packetsReceived += Number(s.packetsReceived ?? 0);
          bytesReceived += Number(s.bytesReceived ?? 0);
        }
      });
      out.push({ source: info.source, kind: info.kind, framesDecoded, packetsReceived, bytesReceived });
    }
    return out;
  }

  /** Transport ids, for tests that check resumption kept them. */
  get transportIds(): string[] {
    return [this.#send?.id, this.#recv?.id].filter((x): x is string => !!x);
  }

  #build(answer?: JoinAnswer): Promise<void> {
    const run = async () => {
      this.#ready = false;
      this.#teardown();
      const join =
        answer ??
        (await this.signal.request<'session.join', JoinAnswer>('session.join', { sessionId: this.sessionId, peerId: this.peerId }));
      this.#device = await loadDevice(join.rtpCapabilities);
      // Both transports in one round trip.
      [this.#send, this.#recv] = await Promise.all([this.#createTransport('send', join.iceServers), this.#createTransport('recv', join.iceServers)]);
      // Receiving starts as soon as the transports exist: sending and receiving are separate
      // peer connections, so the other side's picture need not wait for our own tracks.
      this.#ready = true;
      for (const p of join.producers) this.#queueConsume(p);
      for (const p of this.#pendingProducers.values()) this.#queueConsume(p);
      this.#pendingProducers.clear();
      // Audio first: with video as the first m-section, mediasoup-client 3.9.8 and Chromium 156
      // disagree on header-extension ids (video-orientation vs transport-cc) and the answer is refused.
      const order: Source[] = ['mic', 'face', 'document', 'screen'];
      for (const source of order) {
        const track = this.#local.get(source);
        if (track?.readyState === 'live') await this.#produce(source, track);
      }
      this.handlers.onStatus?.('connected');
    };
    this.#building = run().finally(() => (this.#building = undefined));
    return this.#building;
  }

  /** Rebuilds media after a reset; the server may need a moment to replace a worker. */
  async #rebuildWithRetry(): Promise<void> {
    for (let attempt = 0; attempt < 8 && !this.#ended; attempt++) {
      try {
        await (this.#building ?? this.#build());
        return;
      } catch {
        await new Promise((r) => window.setTimeout(r, Math.min(2000, 200 * 2 ** attempt)));
      }
    }
    this.handlers.onStatus?.('failed');
  }

  async #createTransport(direction: 'send' | 'recv', iceServers: RTCIceServer[]): Promise<types.Transport> {
    const params = await this.signal.request<'createWebRtcTransport', types.TransportOptions>('createWebRtcTransport', { direction });
    const device = this.#device!;
    const options = { ...params, iceServers };
    const transport = direction === 'send' ? device.createSendTransport(options) : device.createRecvTransport(options);
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.signal.request('connectTransport', { transportId: transport.id, dtlsParameters }).then(() => callback(), errback);
    });
    if (direction === 'send') {
      transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
        this.signal
          .request<'produce', { producerId: string }>('produce', {
            transportId: transport.id,
            kind,
            rtpParameters: rtpParameters as never,
            source: (appData as { source: Source }).source,
          })
          .then(({ producerId }) => callback({ id: producerId }), errback);
      });
    }
    transport.on('connectionstatechange', (state) => {
      this.handlers.onStatus?.(`${direction}:${state}`);
      if (state === 'disconnected' || state === 'failed') void this.#restartIceOf(transport).catch(() => undefined);
    });
    return transport;
  }

  async #restartIceOf(transport: types.Transport): Promise<void> {
    if (transport.closed) return;
    const { iceParameters } = await this.signal.request<'restartIce', { iceParameters: types.IceParameters }>('restartIce', { transportId: transport.id });
    await transport.restartIce({ iceParameters });
    this.counters.iceRestarts++;
  }

  async #produce(source: Source, track: MediaStreamTrack): Promise<void> {
    if (!this.#send) return;
    const producer = await this.#send.produce({
      track,
      appData: { source },
      // Documents need detail more than frame rate; faces the other way round.
      ...(source === 'document' || source === 'screen' ? { encodings: [{ maxBitrate: 1_500_000 }] } : {}),
      // Chrome's bandwidth estimate starts at ~300 kbps and its pacer spreads the first keyframe
      // accordingly; starting at 1 Mbps (what the SFU assumes too) shows the first frame sooner.
      ...(track.kind === 'video' ? { codecOptions: { videoGoogleStartBitrate: 1000 } } : {}),
      stopTracks: false,
    });
    if (this.#sendingPaused) producer.pause();
    this.#producers.set(source, producer);
  }

  #queueConsume(p: ProducerInfoWire): void {
    this.#consumeQueue.push(p);
    if (this.#consuming) return;
    this.#consuming = true;
    // Drain on the next microtask, so a batch queued together (a join answer) is ordered as a whole.
    queueMicrotask(() => void this.#drainConsumeQueue());
  }

  // One consume at a time (each renegotiates the receive connection); the picture is what people
  // wait for, so video goes first and audio follows a few tens of milliseconds later.
  async #drainConsumeQueue(): Promise<void> {
    try {
      while (this.#consumeQueue.length) {
        const i = this.#consumeQueue.findIndex((p) => p.kind === 'video');
        const [next] = this.#consumeQueue.splice(i >= 0 ? i : 0, 1);
        await this.#consume(next!).catch(() => undefined);
      }
    } finally {
      this.#consuming = false;
    }
  }

  async #consume(p: ProducerInfoWire): Promise<void> {
    this.handlers.onStatus?.(`announced:${p.source}`);
    if (!this.#ready || !this.#recv || !this.#device) {
      // Mid-(re)build: the transport this would use is about to be replaced.
      this.#pendingProducers.set(p.producerId, p);
      return;
    }
    for (const r of this.#remote.values()) if (r.info.producerId === p.producerId) return;
    const params = await this.signal.request<'consume', { id: string; producerId: string; kind: 'audio' | 'video'; rtpParameters: types.RtpParameters; peerId: string; source: Source }>(
      'consume',
      { transportId: this.#recv.id, producerId: p.producerId, rtpCapabilities: this.#device.rtpCapabilities as never },
    );
    const consumer = await this.#recv.consume({ id: params.id, producerId: params.producerId, kind: params.kind, rtpParameters: params.rtpParameters });
    const info: RemoteTrack = { consumerId: consumer.id, producerId: params.producerId, peerId: params.peerId, source: params.source, kind: params.kind, track: consumer.track };
    this.#remote.set(consumer.id, { consumer, info });
    this.handlers.onRemoteTrack(info);
    this.handlers.onStatus?.(`consumed:${info.source}`);
    // Not awaited: the next consume need not wait for this round trip.
    this.signal.request('resumeConsumer', { consumerId: consumer.id }).then(
      () => this.handlers.onStatus?.(`resumed:${info.source}`),
      () => undefined,
    );
  }

  #removeConsumer(consumerId: string): void {
    const entry = this.#remote.get(consumerId);
    if (!entry) return;
    this.#remote.delete(consumerId);
    this.#scores.delete(consumerId);
    entry.consumer.close();
    this.handlers.onRemoteTrackEnded(entry.info);
  }

  #teardown(): void {
    for (const id of [...this.#remote.keys()]) this.#removeConsumer(id);
    for (const p of this.#producers.values()) p.close();
    this.#producers.clear();
    this.#send?.close();
    this.#recv?.close();
    this.#send = undefined;
    this.#recv = undefined;
  }

  #onNotification(n: ServerNotification): void {
    if ('sessionId' in n && n.sessionId !== this.sessionId) return;
    switch (n.type) {
      case 'producer.new':
        this.#queueConsume(n.producer);
        break;
      case 'producer.closed':
        this.#pendingProducers.delete(n.producerId);
        for (const [id, r] of this.#remote) if (r.info.producerId === n.producerId) this.#removeConsumer(id);
        break;
      case 'consumer.closed':
        this.#removeConsumer(n.consumerId);
        break;
      case 'score':
        if (n.consumerId) this.#scores.set(n.consumerId, n.score);
        break;
      case 'media.reset':
        if (!this.#ended) {
          this.counters.rebuilds++;
          this.handlers.onStatus?.('rebuilding');
          void this.#rebuildWithRetry();
        }
        break;
      case 'peer.joined':
        this.handlers.onPeer?.('joined', n.peerId, n.role);
        break;
      case 'peer.left':
        this.handlers.onPeer?.('left', n.peerId);
        break;
      case 'session.ended':
        this.#ended = true;
        this.#teardown();
        if (this.#statsTimer) window.clearInterval(this.#statsTimer);
        this.handlers.onEnded?.(n.reason);
        break;
      default:
        break;
    }
  }

  async #sampleQuality(): Promise<void> {
    if (!this.#recv || this.#ended) return;
    let rttMs: number | undefined;
    let lost = 0, received = 0;
    const report = await this.#recv.getStats().catch(() => undefined);
    report?.forEach((s: Record<string, unknown>) => {
      if (s.type === 'candidate-pair' && s.nominated && typeof s.currentRoundTripTime === 'number') rttMs = s.currentRoundTripTime * 1000;
      if (s.type === 'inbound-rtp') {
        lost += Number(s.packetsLost ?? 0);
        received += Number(s.packetsReceived ?? 0);
      }
    });
    const scores = [...this.#scores.values()];
    const score = scores.length ? Math.min(...scores) : undefined;
    const lossPct = received + lost > 0 ? (100 * lost) / (received + lost) : undefined;
    const level: Quality['level'] =
      score === undefined && lossPct === undefined ? 'unknown' : (score ?? 10) >= 8 && (lossPct ?? 0) < 2 ? 'good' : (score ?? 10) >= 5 && (lossPct ?? 0) < 8 ? 'fair' : 'poor';
    this.handlers.onQuality?.({ score, rttMs, lossPct, level });
  }
}
