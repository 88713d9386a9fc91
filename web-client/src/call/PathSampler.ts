import type { PathFigures } from './ModeLadder';

/** Options of a {@link PathSampler}: the two connections' stats, while there are connections. */
export interface PathSamplerOptions {
  send: () => Promise<RTCStatsReport> | undefined;
  recv: () => Promise<RTCStatsReport> | undefined;
}

interface Totals {
  at: number;
  videoFramesEncoded: number;
  /** Receiver reports seen per stream (`roundTripTimeMeasurements`): which of them are new. */
  reports: Map<string, number>;
}

/**
 * What this side measures of its own path each sample (for the {@link ModeLadder}): the sender's
 * bandwidth estimate when it is what limits a live picture, the loss on the way to the node (its
 * receiver reports) and the round trip. Only figures of this side's own path: what arrives here
 * also carries the other side's losses (the node forwards the gaps of a lossy uplink), and that
 * side's ladder speaks for them — each proposal in the audit names the path it measured.
 */
export class PathSampler {
  readonly #o: PathSamplerOptions;
  #previous: Totals | undefined;

  constructor(options: PathSamplerOptions) {
    this.#o = options;
  }

  /** Forgets the previous sample (new transports: their counters start again). */
  reset(): void {
    this.#previous = undefined;
  }

  /** One sample; undefined without connections (or on the first, which only sets the baseline). */
  async sample(): Promise<PathFigures | undefined> {
    const [send, recv] = await Promise.all([this.#o.send()?.catch(() => undefined), this.#o.recv()?.catch(() => undefined)]);
    if (!send && !recv) return undefined;
    const t: Totals = { at: performance.now(), videoFramesEncoded: 0, reports: new Map() };
    const p = this.#previous;
    let estimateKbps: number | undefined;
    let rttMs: number | undefined;
    let outLossPct: number | undefined;
    let limitedByBandwidth = false;
    send?.forEach((s: Record<string, unknown>) => {
      if (s.type === 'candidate-pair' && s.nominated === true) {
        if (typeof s.availableOutgoingBitrate === 'number') estimateKbps = s.availableOutgoingBitrate / 1000;
        if (typeof s.currentRoundTripTime === 'number') rttMs = s.currentRoundTripTime * 1000;
      }
      if (s.type === 'outbound-rtp') {
        if (s.kind === 'video') {
          t.videoFramesEncoded += Number(s.framesEncoded ?? 0);
          if (s.qualityLimitationReason === 'bandwidth') limitedByBandwidth = true;
        }
      }
      // The node's receiver reports: the share of our packets it lost in its last interval. Only a
      // report that came since the last sample: a stream that stopped (a face turned off by the
      // ladder) keeps its last report, which would hold the ladder down for ever.
      if (s.type === 'remote-inbound-rtp' && typeof s.fractionLost === 'number') {
        const seen = Number(s.roundTripTimeMeasurements ?? s.timestamp ?? 0);
        t.reports.set(String(s.id), seen);
        if (seen > (p?.reports.get(String(s.id)) ?? 0)) outLossPct = Math.max(outLossPct ?? 0, s.fractionLost * 100);
      }
    });
    recv?.forEach((s: Record<string, unknown>) => {
      if (rttMs === undefined && s.type === 'candidate-pair' && s.nominated === true && typeof s.currentRoundTripTime === 'number') rttMs = s.currentRoundTripTime * 1000;
    });
    this.#previous = t;
    if (!p || t.at <= p.at) return undefined;
    const pictureLive = t.videoFramesEncoded > p.videoFramesEncoded;
    // The estimate speaks for the path only while the encoder says it is what holds a live
    // picture back. A sender that sends less than it may (a still scene, a 620 kbit/s camera)
    // keeps an estimate near what it sends, which says nothing about the path: seen on a clean
    // local link, 506–624 kbit/s for a minute.
    const estimateBinds = estimateKbps !== undefined && pictureLive && limitedByBandwidth;
    return {
      ...(estimateBinds ? { availableKbps: Math.round(estimateKbps!) } : {}),
      ...(outLossPct !== undefined ? { lossPct: Math.round(outLossPct * 10) / 10 } : {}),
      ...(rttMs !== undefined ? { rttMs: Math.round(rttMs) } : {}),
    };
  }
}
