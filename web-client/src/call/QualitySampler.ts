/** Call quality: mediasoup's 0–10 score plus what getStats says. */
export interface Quality {
  score: number | undefined;
  rttMs: number | undefined;
  lossPct: number | undefined;
  /** Loss since the previous sample, in % (undefined on the first, or with nothing received). */
  recentLossPct: number | undefined;
  /** Video frames decoded per second since the previous sample (undefined on the first). */
  fps: number | undefined;
  /** Inbound bits per second (audio and video), in kbit/s, since the previous sample. */
  bitrateKbps: number | undefined;
  level: 'good' | 'fair' | 'poor' | 'unknown';
}

/** What one getStats report says about the inbound side, summed over its streams. */
export interface InboundTotals {
  /** The report's clock (ms), the latest inbound-rtp timestamp. */
  at: number | undefined;
  rttMs: number | undefined;
  packetsLost: number;
  packetsReceived: number;
  framesDecoded: number;
  bytesReceived: number;
}

/** Sums a receive connection's getStats report: round trip, loss, frames and bytes. */
export function inboundTotals(report: RTCStatsReport | undefined): InboundTotals {
  const t: InboundTotals = { at: undefined, rttMs: undefined, packetsLost: 0, packetsReceived: 0, framesDecoded: 0, bytesReceived: 0 };
  report?.forEach((s: Record<string, unknown>) => {
    if (s.type === 'candidate-pair' && s.nominated && typeof s.currentRoundTripTime === 'number') t.rttMs = s.currentRoundTripTime * 1000;
    if (s.type === 'inbound-rtp') {
      t.packetsLost += Number(s.packetsLost ?? 0);
      t.packetsReceived += Number(s.packetsReceived ?? 0);
      t.bytesReceived += Number(s.bytesReceived ?? 0);
      if (s.kind === 'video') t.framesDecoded += Number(s.framesDecoded ?? 0);
      if (typeof s.timestamp === 'number') t.at = Math.max(t.at ?? 0, s.timestamp);
    }
  });
  return t;
}

/**
 * The quality of `now`, with rates against `previous` (the sample before). Scores are
 * mediasoup's per consumer; the worst one counts. Rates are left out when there is no earlier
 * sample or the streams changed in between (a total went down).
 */
export function assessQuality(now: InboundTotals, previous: InboundTotals | undefined, scores: number[]): Quality {
  const score = scores.length ? Math.min(...scores) : undefined;
  const lost = now.packetsLost, received = now.packetsReceived;
  const lossPct = received + lost > 0 ? (100 * lost) / (received + lost) : undefined;
  const level: Quality['level'] =
    score === undefined && lossPct === undefined ? 'unknown' : (score ?? 10) >= 8 && (lossPct ?? 0) < 2 ? 'good' : (score ?? 10) >= 5 && (lossPct ?? 0) < 8 ? 'fair' : 'poor';
  let fps: number | undefined;
  let bitrateKbps: number | undefined;
  let recentLossPct: number | undefined;
  if (previous) {
    const dLost = now.packetsLost - previous.packetsLost;
    const dReceived = now.packetsReceived - previous.packetsReceived;
    if (dLost >= 0 && dReceived >= 0 && dLost + dReceived > 0) recentLossPct = (100 * dLost) / (dLost + dReceived);
  }
  const seconds = previous?.at !== undefined && now.at !== undefined ? (now.at - previous.at) / 1000 : 0;
  if (previous && seconds > 0) {
    const frames = now.framesDecoded - previous.framesDecoded;
    const bytes = now.bytesReceived - previous.bytesReceived;
    if (frames >= 0) fps = frames / seconds;
    if (bytes >= 0) bitrateKbps = (bytes * 8) / seconds / 1000;
  }
  return { score, rttMs: now.rttMs, lossPct, recentLossPct, fps, bitrateKbps, level };
}

/** Options of {@link QualitySampler}. */
export interface QualitySamplerOptions {
  /** The receive connection's stats; undefined when there is nothing to sample (no transport, call over). */
  stats: () => Promise<RTCStatsReport> | undefined;
  onQuality: (q: Quality) => void;
  intervalMs?: number;
}

/** Samples a call's receive side every couple of seconds and reports its {@link Quality}. */
export class QualitySampler {
  readonly #o: QualitySamplerOptions;
  /** mediasoup's score per consumer (the `score` notification). */
  readonly #scores = new Map<string, number>();
  #previous: InboundTotals | undefined;
  #timer: number | undefined;

  constructor(options: QualitySamplerOptions) {
    this.#o = options;
  }

  /** The server's score for one consumer. */
  setScore(consumerId: string, score: number): void {
    this.#scores.set(consumerId, score);
  }

  /** The consumer is gone: its score no longer counts. */
  forget(consumerId: string): void {
    this.#scores.delete(consumerId);
  }

  /** Samples every `intervalMs` (default 2 s) until {@link stop}. */
  start(): void {
    this.stop();
    this.#timer = window.setInterval(() => void this.sample(), this.#o.intervalMs ?? 2000);
  }

  stop(): void {
    if (this.#timer !== undefined) window.clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Takes one sample now and reports it; undefined when there was nothing to sample. */
  async sample(): Promise<Quality | undefined> {
    const pending = this.#o.stats();
    if (!pending) return undefined;
    const totals = inboundTotals(await pending.catch(() => undefined));
    const quality = assessQuality(totals, this.#previous, [...this.#scores.values()]);
    this.#previous = totals;
    this.#o.onQuality(quality);
    return quality;
  }
}
