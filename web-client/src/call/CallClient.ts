import { Device, type types } from 'mediasoup-client';
import type { ConsumerWire, ProducerInfoWire, ServerNotification } from '@rvw/signaling/protocol';
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

/** The Device loaded at page load, if any: its capabilities go with the join (server-made consumers). */
let preloaded: Promise<Device> | undefined;

/** Loads the Device before the first call (the node answers getRouterRtpCapabilities outside a session too). */
export async function preloadDevice(signal: SignalClient): Promise<void> {
  preloaded ??= signal.request<'getRouterRtpCapabilities', types.RtpCapabilities>('getRouterRtpCapabilities', {}).then(loadDevice);
  preloaded.catch(() => (preloaded = undefined));
  await preloaded;
}

/** How held-back tracks wait: black frames (encoder running) or nothing at all. */
export type Hold = 'warm' | 'silent';

/** A producer to consume: announced (the client asks for a consumer) or already consumed by the server. */
type ConsumeItem = ProducerInfoWire & { pushed?: { consumer: ConsumerWire; transportId: string } };

/**
 * What a CallClient joins: the call of a case, or (clerks) the desk, the clerk page's standby
 * media that the server links to each accepted case's call.
 */
export type CallTarget = { sessionId: string } | { desk: true };

/** Callbacks of a {@link CallClient}. */
export interface CallClientHandlers {
  onRemoteTrack: (t: RemoteTrack) => void;
  onRemoteTrackEnded: (t: RemoteTrack) => void;
  onPeer?: (event: 'joined' | 'left', peerId: string, role?: string) => void;
  onQuality?: (q: Quality) => void;
  onEnded?: (reason: string) => void;
  onStatus?: (status: string) => void;
  /** After every (re)join, fresh or resumed: the moment to re-link a desk to its call. */
  onJoined?: (resumed: boolean) => void;
}

interface JoinAnswer {
  sessionId: string;
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
  /** Producers waiting to be consumed: drained in batches, pictures first. */
  readonly #consumeQueue: ConsumeItem[] = [];
  /** Consumers the server closed, possibly before we set them up (an unused receiving slot). */
  readonly #closedConsumers = new Set<string>();
  #consuming = false;
  /** Producers announced before the receive transport existed; consumed once it does. */
  readonly #pendingProducers = new Map<string, ConsumeItem>();
  /** True when we joined with our RTP capabilities: the server makes our consumers (consumer.new). */
  #push = false;
  #scores = new Map<string, number>();
  #ended = false;
  #building: Promise<void> | undefined;
  /** True once transports exist and local tracks are sent: consumers may be created. */
  #ready = false;
  #statsTimer: number | undefined;
  /** Counts of ICE restarts and rebuilds, for tests and diagnostics. */
  readonly counters = { iceRestarts: 0, rebuilds: 0, resumes: 0 };
  /** The media session joined (a desk's id is the server's to choose), once joined. */
  #sessionId: string | undefined;

  constructor(
    private readonly signal: SignalClient,
    private readonly target: CallTarget,
    readonly peerId: string,
    private readonly handlers: CallClientHandlers,
  ) {
    if ('sessionId' in target) this.#sessionId = target.sessionId;
    signal.onNotification((n) => this.#onNotification(n));
  }

  /** The media session this client is in (undefined for a desk not yet joined). */
  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  async #join(resumeTransportIds?: string[]): Promise<JoinAnswer> {
    const device = await preloaded?.catch(() => undefined);
    this.#push = !!device;
    const resume = {
      ...(resumeTransportIds ? { resumeTransportIds } : {}),
      ...(device ? { rtpCapabilities: device.rtpCapabilities as never } : {}),
    };
    const answer =
      'desk' in this.target
        ? this.signal.request<'desk.join', JoinAnswer>('desk.join', { peerId: this.peerId, ...resume })
        : this.signal.request<'session.join', JoinAnswer>('session.join', { sessionId: this.target.sessionId, peerId: this.peerId, ...resume });
    return answer.then((a) => {
      this.#sessionId = a.sessionId;
      return a;
    });
  }

  /** True while our tracks are connected but held back (the counter waiting in the queue). */
  #sendingPaused = false;
  /** How tracks are held back: see {@link start}. */
  #hold: Hold = 'silent';
  /** Our copies of the caller's tracks (what we send), stopped when the call ends. */
  readonly #clones: MediaStreamTrack[] = [];

  /**
   * Joins the call and sends the given tracks (copies of them: the caller's own tracks, its
   * preview, are never touched). With `paused` the tracks are connected but held back, so
   * `resumeSending()` starts them at once, without renegotiation. `hold` says how they are held:
   * `silent` (default) encodes and sends nothing; `warm` sends black frames, which keeps the
   * encoders running, so the first picture after `resumeSending()` does not wait for an encoder to
   * start (measured: the other side's first frame p50 about 100 ms sooner). A counter waits warm
   * (minutes); a desk waits silent, and warm while applicants are queued (`setHold`).
   */
  async start(tracks: { source: Source; track: MediaStreamTrack }[], options: { paused?: boolean; hold?: Hold } = {}): Promise<void> {
    this.#sendingPaused = options.paused ?? false;
    this.#hold = options.hold ?? 'silent';
    for (const t of tracks) {
      const copy = t.track.clone();
      this.#clones.push(copy);
      this.#local.set(t.source, copy);
    }
    await this.#build();
    this.#statsTimer = window.setInterval(() => void this.#sampleQuality(), 2000);
  }

  /** After the signaling socket reconnected: take the session back. */
  async resume(): Promise<void> {
    if (this.#ended) return;
    if (this.#building) return this.#building;
    const transportIds = [this.#send?.id, this.#recv?.id].filter((x): x is string => !!x);
    const answer = await this.#join(transportIds);
    if (answer.resumed) {
      this.counters.resumes++;
      this.handlers.onStatus?.('resumed');
      if (!this.#push) for (const p of answer.producers) this.#queueConsume(p);
      this.handlers.onJoined?.(true);
      return;
    }
    await this.#build(answer);
  }

  /** Starts the held-back tracks (a clerk accepted; a clerk accepting). */
  resumeSending(): void {
    this.#sendingPaused = false;
    this.#applyHoldToAll();
  }

  /** Holds the tracks back again (a desk between calls), as `start` with `paused` does. */
  pauseSending(): void {
    this.#sendingPaused = true;
    this.#applyHoldToAll();
  }

  /** How held-back tracks wait (see {@link start}); takes effect at once if they are held back. */
  setHold(hold: Hold): void {
    if (hold === this.#hold) return;
    this.#hold = hold;
    if (this.#sendingPaused) this.#applyHoldToAll();
  }

  #applyHoldToAll(): void {
    for (const [source, producer] of this.#producers) void this.#applyHold(source, producer).catch(() => undefined);
  }

  /** Live: the track, enabled; warm: the track, disabled (black frames); silent: no track at all. */
  async #applyHold(source: Source, producer: types.Producer): Promise<void> {
    const track = this.#local.get(source);
    if (!track || producer.closed) return;
    const mode = this.#sendingPaused ? this.#hold : 'live';
    if (mode === 'silent') {
      if (producer.track) await producer.replaceTrack({ track: null });
      return;
    }
    track.enabled = mode === 'live';
    if (producer.track !== track) await producer.replaceTrack({ track });
  }

  /**
   * Replaces the transports and producers with fresh ones (a desk between calls). Every consumer
   * leaves a closed m-section behind in the receive connection's SDP, so a desk that served many
   * calls would renegotiate ever longer descriptions; renewing it while idle keeps each call's
   * first consume as quick as the first call's.
   */
  renew(): Promise<void> {
    if (this.#ended) return Promise.resolve();
    return this.#building ?? this.#build();
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
    this.#stopClones();
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
      const join = answer ?? (await this.#join());
      this.#device = await loadDevice(join.rtpCapabilities);
      // Both transports in one round trip.
      [this.#send, this.#recv] = await Promise.all([this.#createTransport('send', join.iceServers), this.#createTransport('recv', join.iceServers)]);
      // Connect the receive side now, before there is anything to consume (see openDataChannel).
      void this.#openDataChannel(this.#recv);
      // Receiving starts as soon as the transports exist: sending and receiving are separate
      // peer connections, so the other side's picture need not wait for our own tracks.
      this.#ready = true;
      if (!this.#push) for (const p of join.producers) this.#queueConsume(p);
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
      this.handlers.onJoined?.(false);
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

  /**
   * A receive transport connects on its first consume; opening its (silent) data channel connects
   * it at once instead, so the first picture later does not wait for ICE and DTLS, nor lose the
   * keyframe it asked for while the handshake ran.
   */
  async #openDataChannel(transport: types.Transport): Promise<void> {
    try {
      const params = await this.signal.request<'openDataChannel', types.DataConsumerOptions>('openDataChannel', { transportId: transport.id });
      if (!transport.closed) await transport.consumeData(params);
    } catch {
      // Only a head start: media still connects the transport on its first consume.
    }
  }

  async #restartIceOf(transport: types.Transport): Promise<void> {
    if (transport.closed) return;
    const { iceParameters } = await this.signal.request<'restartIce', { iceParameters: types.IceParameters }>('restartIce', { transportId: transport.id });
    await transport.restartIce({ iceParameters });
    this.counters.iceRestarts++;
  }

  async #produce(source: Source, track: MediaStreamTrack): Promise<void> {
    if (!this.#send) return;
    // Held back from the first frame on: nothing live leaves before #applyHold has run.
    if (this.#sendingPaused) track.enabled = false;
    const producer = await this.#send.produce({
      track,
      appData: { source },
      // Documents need detail more than frame rate; faces the other way round.
      ...(source === 'document' || source === 'screen' ? { encodings: [{ maxBitrate: 1_500_000 }] } : {}),
      // Chrome's bandwidth estimate starts at ~300 kbps and its pacer spreads the first keyframe
      // accordingly; starting at 1 Mbps (what the SFU assumes too) shows the first frame sooner.
      ...(track.kind === 'video' ? { codecOptions: { videoGoogleStartBitrate: 1000 } } : {}),
      stopTracks: false,
      // Holding back is ours (#applyHold), not mediasoup-client's pause: it switches between
      // black frames and no track at all while held back.
      zeroRtpOnPause: false,
      disableTrackOnPause: false,
    });
    this.#producers.set(source, producer);
    await this.#applyHold(source, producer);
  }

  #queueConsume(p: ConsumeItem): void {
    this.#consumeQueue.push(p);
    if (this.#consuming) return;
    this.#consuming = true;
    // Drain on the next microtask, so a batch queued together (a join answer) is ordered as a whole.
    queueMicrotask(() => void this.#drainConsumeQueue());
  }

  // Everything queued so far is set up together: mediasoup-client folds the consume() calls of
  // one tick into a single renegotiation of the receive connection (consumers the server made
  // arrive in one batch). Consumers we still have to ask for are requested concurrently.
  async #drainConsumeQueue(): Promise<void> {
    try {
      while (this.#consumeQueue.length) {
        const batch = this.#consumeQueue.splice(0).sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'video' ? -1 : 1));
        await Promise.all(batch.map((p) => this.#consume(p).catch(() => undefined)));
      }
    } finally {
      this.#consuming = false;
    }
  }

  async #consume(p: ConsumeItem): Promise<void> {
    this.handlers.onStatus?.(`announced:${p.source}`);
    if (!this.#ready || !this.#recv || !this.#device) {
      // Mid-(re)build: the transport this would use is about to be replaced.
      this.#pendingProducers.set(p.producerId, p);
      return;
    }
    for (const r of this.#remote.values()) if (r.info.producerId === p.producerId) return;
    // A consumer the server made for a transport we no longer have is gone with that transport.
    if (p.pushed && p.pushed.transportId !== this.#recv.id) return;
    if (p.pushed && this.#closedConsumers.has(p.pushed.consumer.id)) return;
    const params = p.pushed
      ? { ...p.pushed.consumer, rtpParameters: p.pushed.consumer.rtpParameters as types.RtpParameters }
      : await this.signal.request<'consume', { id: string; producerId: string; kind: 'audio' | 'video'; rtpParameters: types.RtpParameters; peerId: string; source: Source }>(
          'consume',
          { transportId: this.#recv.id, producerId: p.producerId, rtpCapabilities: this.#device.rtpCapabilities as never },
        );
    const consumer = await this.#recv.consume({ id: params.id, producerId: params.producerId, kind: params.kind, rtpParameters: params.rtpParameters });
    if (this.#closedConsumers.has(consumer.id)) {
      consumer.close();
      return;
    }
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

  #stopClones(): void {
    for (const t of this.#clones.splice(0)) t.stop();
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
    if ('sessionId' in n && n.sessionId !== this.#sessionId) return;
    switch (n.type) {
      case 'producer.new':
        if (!this.#push) this.#queueConsume(n.producer);
        break;
      case 'consumers.new':
        for (const consumer of n.consumers) {
          const { id: _id, rtpParameters: _rtp, ...producer } = consumer;
          this.#queueConsume({ ...producer, pushed: { consumer, transportId: n.transportId } });
        }
        break;
      case 'producer.closed':
        this.#pendingProducers.delete(n.producerId);
        for (const [id, r] of this.#remote) if (r.info.producerId === n.producerId) this.#removeConsumer(id);
        break;
      case 'consumer.closed':
        this.#closedConsumers.add(n.consumerId);
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
        this.#stopClones();
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
