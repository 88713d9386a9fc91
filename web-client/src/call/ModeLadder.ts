import { CALL_MODES, type CallMode } from '@rvw/protocol/vocabulary';

/** What one side measured of its own path over the last sample period. */
export interface PathFigures {
  /**
   * The sender's bandwidth estimate (kbit/s). Only present when it is what limits a live picture
   * (Chrome says `qualityLimitationReason: bandwidth`): an estimate that merely idles (audio
   * only, a still scene) says nothing about the path.
   */
  availableKbps?: number;
  /** Packets of ours the node lost (its receiver reports), in %. */
  lossPct?: number;
  /** Round trip of the media path (ms); a path that queues grows it before it drops. */
  rttMs?: number;
}

/** Options of a {@link ModeLadder}. */
export interface ModeLadderOptions {
  /** Samples in a row that must call for less before stepping down (default 2). */
  downAfter?: number;
  /** Clean samples in a row before the first step up (default 4); doubles after a failed step up. */
  upAfter?: number;
  /** The longest wait for a step up, in samples (default 30). */
  maxUpAfter?: number;
  /** Samples after a step up during which the estimate is not held against it (default 3). */
  rampSamples?: number;
  /** Samples after the start likewise: the estimate starts low and ramps up with the pictures (default 5). */
  startSamples?: number;
}

const rank = (m: CallMode) => CALL_MODES.indexOf(m);
const worst = (...modes: CallMode[]) => modes.reduce((a, b) => (rank(b) > rank(a) ? b : a), 'full');

/**
 * The mode one sample calls for on its own: the worst that its bandwidth, its loss and its round
 * trip each allow. The steps follow what each mode sends: everything (~3 Mbps at the counter);
 * faces shrunk and the 高拍仪 at 700 kbps; the 高拍仪 at one frame a second and 150 kbps; the voice
 * alone (~40 kbps with FEC).
 */
export function modeFor(f: PathFigures, opts: { ignoreBandwidth?: boolean } = {}): CallMode {
  const kbps = opts.ignoreBandwidth === true ? undefined : f.availableKbps;
  const byBandwidth: CallMode = kbps === undefined || kbps >= 700 ? 'full' : kbps >= 300 ? 'document_first' : kbps >= 120 ? 'audio_stills' : 'audio';
  const loss = f.lossPct ?? 0;
  const byLoss: CallMode = loss >= 30 ? 'audio' : loss >= 15 ? 'audio_stills' : loss >= 8 ? 'document_first' : 'full';
  const rtt = f.rttMs ?? 0;
  const byRtt: CallMode = rtt >= 1500 ? 'audio_stills' : rtt >= 800 ? 'document_first' : 'full';
  return worst(byBandwidth, byLoss, byRtt);
}

/**
 * Whether the path shows pressure: packets lost, or a round trip grown well past the least seen
 * (a queue). An estimate alone is not enough: after a stretch of sending little, Chrome's estimate
 * can sit low on a clean path (seen: 514 kbit/s flat for 10 s on loopback, the encoder saying it
 * was limited by it) — it must be backed by what the path does.
 */
function underPressure(f: PathFigures, minRttMs: number | undefined): boolean {
  return (f.lossPct ?? 0) >= 2 || (f.rttMs !== undefined && minRttMs !== undefined && f.rttMs >= 2 * minRttMs + 50);
}

/** A sample clean enough to try the next step up: little loss, no queue. */
function isClean(f: PathFigures): boolean {
  return (f.lossPct ?? 0) < 3 && (f.rttMs ?? 0) < 600;
}

/**
 * One side's ladder (#17): from its samples (one every couple of seconds), the mode its path can
 * carry. Down quickly — to what the last `downAfter` samples all call for — and up slowly, one
 * step after `upAfter` clean samples in a row. A sender that sends less no longer learns what the
 * path could carry (its estimate idles), so stepping up is a trial: a step up that is undone within
 * a few samples doubles the wait for the next one.
 */
export class ModeLadder {
  readonly #downAfter: number;
  readonly #baseUp: number;
  readonly #maxUp: number;
  readonly #ramp: number;
  readonly #start: number;
  #current: CallMode;
  /** What the samples in a row that called for less than `current` called for. */
  #lower: CallMode[] = [];
  #clean = 0;
  #upAfter: number;
  /** Samples since the last step up (or since the start). */
  #sinceUp: number;
  /** Samples during which the estimate is not held against the current mode. */
  #rampNow: number;
  /** Whether the ladder has stepped up yet (a step down soon after one undoes it). */
  #steppedUp = false;
  /** The least round trip seen: the path without a queue. */
  #minRttMs: number | undefined;

  constructor(initial: CallMode = 'full', options: ModeLadderOptions = {}) {
    this.#current = initial;
    this.#downAfter = options.downAfter ?? 2;
    this.#baseUp = options.upAfter ?? 4;
    this.#maxUp = options.maxUpAfter ?? 30;
    this.#ramp = options.rampSamples ?? 3;
    this.#upAfter = this.#baseUp;
    this.#sinceUp = 0;
    this.#start = options.startSamples ?? 5;
    this.#rampNow = this.#start;
  }

  /** The mode this side proposes now. */
  get current(): CallMode {
    return this.#current;
  }

  /**
   * The call sends more again (the other side's ladder stepped up): this side's estimate ramps up
   * with its pictures, and is not held against the call meanwhile.
   */
  picturesResumed(): void {
    this.#sinceUp = 0;
    this.#rampNow = this.#ramp;
  }

  /**
   * The media now runs on new connections (a rebuild: a worker or a whole node replaced, maybe
   * another node altogether): what was learned of the old path says nothing of this one. Its
   * round trip is learned again, and its estimate ramps up from a fresh start as at the call's
   * start, so the new connection's first seconds (a low estimate, a first round trip measured
   * while DTLS is still settling) do not step the call down. The mode stays as it was.
   */
  newPath(): void {
    this.#minRttMs = undefined;
    this.#lower = [];
    this.#clean = 0;
    this.#sinceUp = 0;
    this.#rampNow = this.#start;
  }

  /** Takes one sample; returns the new mode when this sample changes it. */
  next(f: PathFigures): CallMode | undefined {
    this.#sinceUp++;
    if (f.rttMs !== undefined) this.#minRttMs = Math.min(this.#minRttMs ?? Infinity, f.rttMs);
    const wants = modeFor(f, { ignoreBandwidth: this.#sinceUp <= this.#rampNow || !underPressure(f, this.#minRttMs) });
    if (rank(wants) > rank(this.#current)) {
      this.#clean = 0;
      this.#lower.push(wants);
      if (this.#lower.length < this.#downAfter) return undefined;
      // The least severe of the run: one bad sample among them does not decide alone.
      const to = this.#lower.slice(-this.#downAfter).reduce((a, b) => (rank(b) < rank(a) ? b : a));
      this.#lower = [];
      // Undone soon after a step up: that step was too early, wait longer before the next.
      if (this.#steppedUp && this.#sinceUp <= this.#ramp + this.#downAfter + 2) this.#upAfter = Math.min(this.#maxUp, this.#upAfter * 2);
      this.#current = to;
      return to;
    }
    this.#lower = [];
    if (this.#current === 'full' || !isClean(f)) {
      this.#clean = 0;
      return undefined;
    }
    if (++this.#clean < this.#upAfter) return undefined;
    this.#clean = 0;
    // A step up that held for a while earns back the short wait.
    if (this.#sinceUp >= 4 * this.#baseUp) this.#upAfter = this.#baseUp;
    this.#sinceUp = 0;
    this.#rampNow = this.#ramp;
    this.#steppedUp = true;
    this.#current = CALL_MODES[rank(this.#current) - 1]!;
    return this.#current;
  }
}
