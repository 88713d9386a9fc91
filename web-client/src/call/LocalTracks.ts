import type { types } from 'mediasoup-client';
import type { SignalClient } from '@rvw/protocol/client/SignalClient';
import type { CallMode } from '@rvw/protocol/vocabulary';
import type { Source } from './RemoteTracks';

/** How held-back tracks wait: black frames (encoder running) or nothing at all. */
export type Hold = 'warm' | 'silent';

/** Options of {@link LocalTracks}. */
export interface LocalTracksOptions {
  signal: SignalClient;
  /** The call's send transport, while it has one. */
  sendTransport: () => types.Transport | undefined;
}

/** How a source is sent in a mode: not at all, or with these encoding limits. */
type SendPlan = 'off' | Pick<RTCRtpEncodingParameters, 'maxBitrate' | 'maxFramerate' | 'scaleResolutionDownBy'>;

/**
 * What each mode sends (#17's ladder). The 高拍仪 and a shared screen keep their resolution
 * throughout (their tracks say `contentHint: detail`, so the encoder drops frames, not pixels);
 * the faces shrink first and go first. `full` restores what a call starts with. The voice is
 * always sent.
 */
/** What one of our tracks has sent so far (summed over its encodings). */
export interface OutboundStat {
  source: Source;
  kind: string;
  framesEncoded: number;
  packetsSent: number;
  bytesSent: number;
}

const MODE_PLAN: Readonly<Record<CallMode, Partial<Record<Source, SendPlan>>>> = {
  full: {
    face: { scaleResolutionDownBy: 1, maxFramerate: 30, maxBitrate: 2_500_000 },
    document: { maxFramerate: 30, maxBitrate: 1_500_000 },
    screen: { maxFramerate: 30, maxBitrate: 1_500_000 },
  },
  document_first: {
    face: { scaleResolutionDownBy: 2, maxFramerate: 15, maxBitrate: 250_000 },
    document: { maxFramerate: 15, maxBitrate: 700_000 },
    screen: { maxFramerate: 15, maxBitrate: 700_000 },
  },
  // Stills of the document: one picture a second, sharp, over the same SRTP leg (and pipe, and
  // recorder) as the live picture — not a data channel, which would need SCTP on every send
  // transport and every cross-node pipe for what a 1 fps VP8 track already carries with NACK.
  audio_stills: { face: 'off', document: { maxFramerate: 1, maxBitrate: 150_000 }, screen: { maxFramerate: 1, maxBitrate: 150_000 } },
  audio: { face: 'off', document: 'off', screen: 'off' },
};

/**
 * A held-back picture is encoded at 1/START_SCALE of its size, and a picture going live starts
 * there: its first keyframe is a quarter of the bytes, so it is encoded, paced out and decoded
 * sooner. On a 2-core box hosting both browsers and the node the HD keyframes were most of the
 * call's start (bench:call-setup p50 ≈ 440 ms in HD, ≈ 230 ms starting at half size).
 * FULL_AFTER_MS later the picture goes to the size its mode sends (one more keyframe, while the
 * call already shows a picture).
 */
const START_SCALE = 2;
const FULL_AFTER_MS = 700;
/** Pictures that start small: the cameras. A shared screen starts live, at its size. */
const STARTS_SMALL: ReadonlySet<Source> = new Set(['face', 'document']);

/** Sources in the order they are produced (see {@link LocalTracks.produceAll}). */
const PRODUCE_ORDER: Source[] = ['mic', 'face', 'document', 'screen'];

/**
 * What a call sends: copies of the caller's tracks, their producers, and holding them back. The
 * caller's own tracks (its preview) are never touched; the copies stop when the call ends.
 */
export class LocalTracks {
  readonly #o: LocalTracksOptions;
  readonly #local = new Map<Source, MediaStreamTrack>();
  readonly #producers = new Map<Source, types.Producer>();
  /** Our copies of the caller's tracks (what we send), stopped when the call ends. */
  readonly #clones: MediaStreamTrack[] = [];
  /** True while our tracks are connected but held back (the counter waiting in the queue). */
  #sendingPaused = false;
  #hold: Hold = 'silent';
  #mode: CallMode = 'full';
  /** Encodings are left as produced until the first step of the ladder. */
  #modeApplied = false;
  /** Pending switches of live pictures from their start size (see START_SCALE). */
  readonly #fullSize = new Map<Source, ReturnType<typeof setTimeout>>();

  constructor(options: LocalTracksOptions) {
    this.#o = options;
  }

  /** Takes copies of the tracks to send, held back (`paused`) or not, and how they are held. */
  adopt(tracks: { source: Source; track: MediaStreamTrack }[], options: { paused: boolean; hold: Hold }): void {
    this.#sendingPaused = options.paused;
    this.#hold = options.hold;
    for (const t of tracks) {
      const copy = t.track.clone();
      // A document must stay legible: under a tight path the encoder keeps its pixels, drops frames.
      if (t.source === 'document' && copy.kind === 'video') copy.contentHint = 'detail';
      this.#clones.push(copy);
      this.#local.set(t.source, copy);
    }
  }

  /**
   * Produces every live track on the (new) send transport. Audio first: with video as the first
   * m-section, mediasoup-client 3.9.8 and Chromium 156 disagree on header-extension ids
   * (video-orientation vs transport-cc) and the answer is refused.
   */
  async produceAll(): Promise<void> {
    for (const source of PRODUCE_ORDER) {
      const track = this.#local.get(source);
      if (track?.readyState === 'live') await this.#produce(source, track);
    }
  }

  /** Starts the held-back tracks. */
  resumeSending(): void {
    this.#sendingPaused = false;
    this.#applyHoldToAll();
  }

  /** Holds the tracks back again. */
  pauseSending(): void {
    this.#sendingPaused = true;
    this.#applyHoldToAll();
  }

  /** How held-back tracks wait; takes effect at once if they are held back. */
  setHold(hold: Hold): void {
    if (hold === this.#hold) return;
    this.#hold = hold;
    if (this.#sendingPaused) this.#applyHoldToAll();
  }

  /** What each of our producers has encoded and sent (its sender's getStats), per source. */
  async outboundStats(): Promise<OutboundStat[]> {
    const out: OutboundStat[] = [];
    for (const [source, producer] of this.#producers) {
      if (producer.closed) continue;
      const sum = { framesEncoded: 0, packetsSent: 0, bytesSent: 0 };
      (await producer.getStats()).forEach((s: Record<string, unknown>) => {
        if (s.type !== 'outbound-rtp') return;
        for (const key of Object.keys(sum) as (keyof typeof sum)[]) sum[key] += Number(s[key] ?? 0);
      });
      out.push({ source, kind: producer.kind, ...sum });
    }
    return out;
  }

  /** What the call sends now (the mode it runs at); takes effect at once on every producer. */
  applyMode(mode: CallMode): void {
    if (mode === this.#mode) return;
    this.#mode = mode;
    this.#modeApplied = true;
    for (const [source, producer] of this.#producers) void this.#applyAll(source, producer).catch(() => undefined);
  }

  /** The mode applied (`full` until the ladder first steps). */
  get mode(): CallMode {
    return this.#mode;
  }

  /** Starts sending a screen share. */
  async shareScreen(track: MediaStreamTrack): Promise<void> {
    track.contentHint = 'detail';
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
    await this.#o.signal.request('closeProducer', { producerId: p.id }).catch(() => undefined);
  }

  /** Closes the producers (their transport is about to go); the tracks stay for the next ones. */
  closeProducers(): void {
    for (const p of this.#producers.values()) p.close();
    this.#producers.clear();
  }

  /** Stops our copies: the call is over. */
  stopClones(): void {
    for (const timer of this.#fullSize.values()) clearTimeout(timer);
    this.#fullSize.clear();
    for (const t of this.#clones.splice(0)) t.stop();
  }

  #applyHoldToAll(): void {
    for (const [source, producer] of this.#producers) void this.#applyHold(source, producer).catch(() => undefined);
  }

  /** Live: the track, enabled; warm: the track, disabled (black frames); silent: no track at all. */
  async #applyHold(source: Source, producer: types.Producer): Promise<void> {
    const track = this.#local.get(source);
    if (!track || producer.closed) return;
    const mode = this.#sendingPaused ? this.#hold : MODE_PLAN[this.#mode][source] === 'off' ? 'silent' : 'live';
    // A desk going silent after a call starts its next picture small again, too.
    if (STARTS_SMALL.has(source) && producer.kind === 'video') this.#scheduleSize(source, producer, mode === 'live');
    if (mode === 'silent') {
      if (producer.track) await producer.replaceTrack({ track: null });
      return;
    }
    track.enabled = mode === 'live';
    if (producer.track !== track) await producer.replaceTrack({ track });
  }

  /** The hold (or the mode's off) and the mode's encoding limits. */
  async #applyAll(source: Source, producer: types.Producer): Promise<void> {
    await this.#applyHold(source, producer);
    const plan = MODE_PLAN[this.#mode][source];
    if (!this.#modeApplied || plan === undefined || plan === 'off' || producer.closed) return;
    await producer.setRtpEncodingParameters(plan);
  }

  /**
   * A held-back picture goes to its start size now; a live one to its mode's size FULL_AFTER_MS
   * from now (at once if it is already there). Set on the RTCRtpSender itself: mediasoup-client's
   * setRtpEncodingParameters renegotiates the whole transport, which a size change does not need.
   */
  #scheduleSize(source: Source, producer: types.Producer, live: boolean): void {
    clearTimeout(this.#fullSize.get(source));
    this.#fullSize.delete(source);
    const scale = async (s: number) => {
      const sender = producer.rtpSender;
      if (producer.closed || !sender) return;
      const params = sender.getParameters();
      if (params.encodings.every((e) => (e.scaleResolutionDownBy ?? 1) === s)) return;
      for (const e of params.encodings) e.scaleResolutionDownBy = s;
      await sender.setParameters(params).catch(() => undefined);
    };
    if (!live) {
      void scale(START_SCALE);
      return;
    }
    const target = () => {
      const plan = MODE_PLAN[this.#mode][source];
      return plan && plan !== 'off' ? (plan.scaleResolutionDownBy ?? 1) : 1;
    };
    this.#fullSize.set(
      source,
      setTimeout(() => {
        this.#fullSize.delete(source);
        void scale(target());
      }, FULL_AFTER_MS),
    );
  }

  async #produce(source: Source, track: MediaStreamTrack): Promise<void> {
    const send = this.#o.sendTransport();
    if (!send) return;
    // Held back from the first frame on: nothing live leaves before #applyHold has run.
    if (this.#sendingPaused) track.enabled = false;
    const producer = await send.produce({
      track,
      appData: { source },
      // Documents need detail more than frame rate; faces the other way round.
      ...(track.kind === 'video'
        ? { encodings: [{ ...(source === 'document' || source === 'screen' ? { maxBitrate: 1_500_000 } : {}), ...(STARTS_SMALL.has(source) ? { scaleResolutionDownBy: START_SCALE } : {}) }] }
        : {}),
      // Chrome's bandwidth estimate starts at ~300 kbps and its pacer spreads the first keyframe
      // accordingly; starting at 1 Mbps (what the SFU assumes too) shows the first frame sooner.
      ...(track.kind === 'video' ? { codecOptions: { videoGoogleStartBitrate: 1000 } } : {}),
      // Speech over a lossy county line: Opus carries each frame's predecessor at low rate (FEC).
      // Not DTX: the pages and the node judge a voice alive by its packets flowing.
      ...(track.kind === 'audio' ? { codecOptions: { opusFec: true } } : {}),
      stopTracks: false,
      // Holding back is ours (#applyHold), not mediasoup-client's pause: it switches between
      // black frames and no track at all while held back.
      zeroRtpOnPause: false,
      disableTrackOnPause: false,
    });
    this.#producers.set(source, producer);
    await this.#applyAll(source, producer);
  }
}
