import type { types } from 'mediasoup-client';
import type { ProducerInfoWire, ServerNotification } from '@rvw/protocol/messages';
import type { DeviceCache } from './DeviceCache';
import { LocalTracks, type Hold, type OutboundStat } from './LocalTracks';
import { CALL_MODES, type CallMode } from '@rvw/protocol/vocabulary';
import { MediaTransports } from './MediaTransports';
import { ModeLadder, type PathFigures } from './ModeLadder';
import { PathSampler } from './PathSampler';
import { QualitySampler, type Quality } from './QualitySampler';
import { RemoteTracks, type InboundStat, type RemoteTrack, type Source } from './RemoteTracks';
import type { SignalClient } from '@rvw/protocol/client/SignalClient';
import { TypedEmitter } from './TypedEmitter';

export type { Hold } from './LocalTracks';
export type { Quality } from './QualitySampler';
export type { PathFigures } from './ModeLadder';
export type { InboundStat, RemoteTrack, Source } from './RemoteTracks';

/** How often this side's ladder samples its path. */
const LADDER_INTERVAL_MS = 2000;

/** How long pictures wait for late packets on a lossy path (see CallClient's #followLoss). */
const LOSSY_JITTER_TARGET_MS = 400;

/**
 * What a CallClient joins: the call of a case, or (clerks) the desk, the clerk page's standby
 * media that the server links to each accepted case's call.
 */
export type CallTarget = { sessionId: string } | { desk: true };

/** Events of a {@link CallClient}, by name: their listeners' arguments. */
export interface CallClientEvents {
  remoteTrack: [track: RemoteTrack];
  remoteTrackEnded: [track: RemoteTrack];
  /** A peer joined or left; `left` carries why (a clerk handing the case to a colleague: `transferred`). */
  peer: [event: 'joined' | 'left', peerId: string, roleOrReason: string | undefined];
  quality: [quality: Quality];
  /**
   * This side's ladder calls for another mode (from its own path's figures): the page proposes it
   * for the call (`call.mode`); the call's mode comes back in the case record (`applyMode`).
   */
  modeProposal: [mode: CallMode, measured: PathFigures];
  /** The server ended the session (the other side hung up, the case closed). */
  ended: [reason: string];
  /** Progress and connection states (`connected`, `send:connected`, `consumed:face`, …), for marks. */
  status: [status: string];
  /** After every (re)join, fresh or resumed: the moment to re-link a desk to its call. */
  joined: [resumed: boolean];
}

/** Options of a {@link CallClient}. */
export interface CallClientOptions {
  signal: SignalClient;
  /** The page's Devices (loaded once per page, shared by its calls). */
  devices: DeviceCache;
  target: CallTarget;
  peerId: string;
}

interface JoinAnswer {
  sessionId: string;
  rtpCapabilities: types.RtpCapabilities;
  resumed: boolean;
  producers: ProducerInfoWire[];
  iceServers: RTCIceServer[];
}

/**
 * One side of a call over mediasoup (a Room, in LiveKit's words): joins the session, and keeps
 * media alive — resumes after a signaling reconnect (same transports when the server still has
 * them), restarts ICE when a transport goes disconnected/failed, and rebuilds everything when the
 * server says the media session was reset. The work is its children's: {@link MediaTransports}
 * (Device and transports), {@link LocalTracks} (producing), {@link RemoteTracks} (consuming) and
 * {@link QualitySampler}; each sees only the getters it needs. Pages listen with `on(…)`.
 */
export class CallClient extends TypedEmitter<CallClientEvents> {
  readonly peerId: string;
  readonly #signal: SignalClient;
  readonly #devices: DeviceCache;
  readonly #target: CallTarget;
  readonly #transports: MediaTransports;
  readonly #local: LocalTracks;
  readonly #remote: RemoteTracks;
  readonly #quality: QualitySampler;
  readonly #path: PathSampler;
  #ladder: ModeLadder | undefined;
  /** The case whose call the ladder measures for, while it runs. */
  #ladderCase: string | undefined;
  /** When a sample last saw packets go missing (epoch ms). */
  #lastLossAt: number | undefined;
  #ladderTimer: number | undefined;
  /** True when we joined with our RTP capabilities: the server makes our consumers (consumers.new). */
  #push = false;
  #ended = false;
  #building: Promise<void> | undefined;
  /** Counts of ICE restarts and rebuilds, for tests and diagnostics. */
  readonly counters = { iceRestarts: 0, rebuilds: 0, resumes: 0 };
  /** The ladder's latest samples and what it proposed on each (for tests and hall technicians). */
  readonly ladderLog: { at: number; figures: PathFigures; mode: CallMode }[] = [];
  /** The media session joined (a desk's id is the server's to choose), once joined. */
  #sessionId: string | undefined;

  constructor(options: CallClientOptions) {
    super();
    const { signal, devices, target, peerId } = options;
    this.#signal = signal;
    this.#devices = devices;
    this.#target = target;
    this.peerId = peerId;
    if ('sessionId' in target) this.#sessionId = target.sessionId;
    const status = (s: string) => this.emit('status', s);
    this.#transports = new MediaTransports({ signal, devices, onStatus: status, onIceRestart: () => this.counters.iceRestarts++ });
    this.#local = new LocalTracks({ signal, sendTransport: () => this.#transports.send });
    this.#remote = new RemoteTracks({
      signal,
      recvTransport: () => this.#transports.recv,
      rtpCapabilities: () => this.#transports.device?.rtpCapabilities,
      onTrack: (t) => this.emit('remoteTrack', t),
      onTrackEnded: (t) => {
        this.#quality.forget(t.consumerId);
        this.emit('remoteTrackEnded', t);
      },
      onStatus: status,
    });
    this.#quality = new QualitySampler({
      stats: () => (this.#ended ? undefined : this.#transports.recv?.getStats()),
      onQuality: (q) => {
        this.#followLoss(q);
        this.emit('quality', q);
      },
    });
    this.#path = new PathSampler({
      send: () => (this.#ended ? undefined : this.#transports.send?.getStats()),
      recv: () => (this.#ended ? undefined : this.#transports.recv?.getStats()),
    });
    signal.onNotification((n) => this.#onNotification(n));
  }

  /**
   * Follows the call's mode (#17's ladder) as the case record of `caseId` says it: sends what
   * `mode` allows, and runs this side's ladder for that case — started once per case, from
   * `ownProposal` (what this side last proposed, after a reload): a sample every 2 s, a
   * `modeProposal` when the path calls for another mode. A page calls it on every view of the
   * case while it is in the call and sending.
   */
  followCallMode(caseId: string, mode: CallMode, ownProposal: CallMode): void {
    this.applyMode(mode);
    if (this.#ladderCase === caseId) return;
    this.stopLadder();
    this.#ladderCase = caseId;
    this.#ladder = new ModeLadder(ownProposal);
    this.#path.reset();
    this.#ladderTimer = window.setInterval(() => void this.#stepLadder(), LADDER_INTERVAL_MS);
  }

  /** Stops the ladder (the call is over, or this desk is between calls). */
  stopLadder(): void {
    if (this.#ladderTimer !== undefined) window.clearInterval(this.#ladderTimer);
    this.#ladderTimer = undefined;
    this.#ladder = undefined;
    this.#ladderCase = undefined;
  }

  /** Sends what the call's mode allows (the worse of the two sides' proposals, from the case record). */
  applyMode(mode: CallMode): void {
    // More to send than before: the estimate ramps up from where the lesser mode left it.
    if (CALL_MODES.indexOf(mode) < CALL_MODES.indexOf(this.#local.mode)) this.#ladder?.picturesResumed();
    this.#local.applyMode(mode);
  }

  /**
   * On a lossy path the pictures wait for their retransmissions (a lost packet costs the sender's
   * round trip to the node and back, which this side cannot see) instead of freezing: a 400 ms
   * jitter buffer while packets go missing, the browser's own after 30 s without a loss.
   */
  #followLoss(q: Quality): void {
    const now = Date.now();
    if ((q.recentLossPct ?? 0) >= 0.5) this.#lastLossAt = now;
    const lossy = this.#lastLossAt !== undefined && now - this.#lastLossAt < 30_000;
    this.#remote.setJitterTarget(lossy ? LOSSY_JITTER_TARGET_MS : null);
  }

  async #stepLadder(): Promise<void> {
    const ladder = this.#ladder;
    if (!ladder || this.#building) return;
    const figures = await this.#path.sample();
    if (!figures || ladder !== this.#ladder) return;
    const next = ladder.next(figures);
    this.ladderLog.push({ at: Date.now(), figures, mode: ladder.current });
    if (this.ladderLog.length > 60) this.ladderLog.shift();
    if (next !== undefined) this.emit('modeProposal', next, figures);
  }

  /** The media session this client is in (undefined for a desk not yet joined). */
  get sessionId(): string | undefined {
    return this.#sessionId;
  }

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
    this.#local.adopt(tracks, { paused: options.paused ?? false, hold: options.hold ?? 'silent' });
    await this.#build();
    this.#quality.start();
  }

  /** After the signaling socket reconnected: take the session back. */
  async resume(): Promise<void> {
    if (this.#ended) return;
    if (this.#building) return this.#building;
    const answer = await this.#join(this.#transports.ids);
    if (answer.resumed) {
      this.counters.resumes++;
      this.emit('status', 'resumed');
      if (!this.#push) for (const p of answer.producers) this.#remote.announce(p);
      this.emit('joined', true);
      return;
    }
    await this.#build(answer);
  }

  /** Starts the held-back tracks (a clerk accepted; a clerk accepting). */
  resumeSending(): void {
    this.#local.resumeSending();
  }

  /** Holds the tracks back again (a desk between calls), as `start` with `paused` does. */
  pauseSending(): void {
    this.#local.pauseSending();
  }

  /** How held-back tracks wait (see {@link start}); takes effect at once if they are held back. */
  setHold(hold: Hold): void {
    this.#local.setHold(hold);
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
  shareScreen(track: MediaStreamTrack): Promise<void> {
    return this.#local.shareScreen(track);
  }

  /** Stops the screen share. */
  stopScreen(): Promise<void> {
    return this.#local.stopScreen();
  }

  /** Forces an ICE restart of both transports (the network-change path). */
  restartIce(): Promise<void> {
    return this.#transports.restartIce();
  }

  /** Leaves the call (the other side is told). */
  async leave(): Promise<void> {
    this.#teardown();
    this.#ended = true;
    this.#quality.stop();
    this.stopLadder();
    this.#local.stopClones();
    await this.#signal.request('session.leave', {}).catch(() => undefined);
  }

  /** Inbound video/audio statistics per remote track, from getStats. */
  inboundStats(): Promise<InboundStat[]> {
    return this.#remote.inboundStats();
  }

  /** What each of our tracks has encoded and sent, from getStats (the ladder's stops show here first). */
  outboundStats(): Promise<OutboundStat[]> {
    return this.#local.outboundStats();
  }

  /** Transport ids, for tests that check resumption kept them. */
  get transportIds(): string[] {
    return this.#transports.ids;
  }

  async #join(resumeTransportIds?: string[]): Promise<JoinAnswer> {
    const device = await this.#devices.preloaded();
    this.#push = !!device;
    const resume = {
      ...(resumeTransportIds ? { resumeTransportIds } : {}),
      ...(device ? { rtpCapabilities: device.rtpCapabilities as never } : {}),
    };
    const answer =
      'desk' in this.#target
        ? await this.#signal.request('desk.join', { peerId: this.peerId, ...resume })
        : await this.#signal.request('session.join', { sessionId: this.#target.sessionId, peerId: this.peerId, ...resume });
    this.#sessionId = answer.sessionId;
    return answer;
  }

  #build(answer?: JoinAnswer): Promise<void> {
    const run = async () => {
      this.#remote.holdBack();
      this.#teardown();
      const join = answer ?? (await this.#join());
      await this.#transports.open(join.rtpCapabilities, join.iceServers);
      // Receiving starts as soon as the transports exist: sending and receiving are separate
      // peer connections, so the other side's picture need not wait for our own tracks.
      this.#remote.ready(this.#push ? [] : join.producers);
      await this.#local.produceAll();
      // New connections: the ladder learns their path afresh (the samples of the old ones stop here).
      this.#path.reset();
      this.#ladder?.newPath();
      this.emit('status', 'connected');
      this.emit('joined', false);
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
    this.emit('status', 'failed');
  }

  #teardown(): void {
    this.#remote.removeAll();
    this.#local.closeProducers();
    this.#transports.close();
  }

  #onNotification(n: ServerNotification): void {
    if ('sessionId' in n && n.sessionId !== this.#sessionId) return;
    switch (n.type) {
      case 'producer.new':
        if (!this.#push) this.#remote.announce(n.producer);
        break;
      case 'consumers.new':
        this.#remote.pushed(n.transportId, n.consumers);
        break;
      case 'producer.closed':
        this.#remote.producerClosed(n.producerId);
        break;
      case 'consumer.closed':
        this.#remote.consumerClosed(n.consumerId);
        break;
      case 'score':
        if (n.consumerId) this.#quality.setScore(n.consumerId, n.score);
        break;
      case 'media.reset':
        if (!this.#ended) {
          this.counters.rebuilds++;
          this.emit('status', 'rebuilding');
          void this.#rebuildWithRetry();
        }
        break;
      case 'peer.joined':
        this.emit('peer', 'joined', n.peerId, n.role);
        break;
      case 'peer.left':
        this.emit('peer', 'left', n.peerId, n.reason);
        break;
      case 'session.ended':
        this.#ended = true;
        this.#teardown();
        this.#local.stopClones();
        this.#quality.stop();
        this.stopLadder();
        this.emit('ended', n.reason);
        break;
      default:
        break;
    }
  }
}
