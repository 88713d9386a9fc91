import { describe, expect, it } from 'vitest';
import { ModeLadder, modeFor, type PathFigures } from '@rvw/web-client/call/ModeLadder';

/** Feeds `samples` and returns what each one proposed (undefined: no change). */
function run(ladder: ModeLadder, samples: PathFigures[]): (string | undefined)[] {
  return samples.map((s) => ladder.next(s));
}

const clean: PathFigures = { lossPct: 0.5, rttMs: 40 };

describe('the mode one sample calls for (#17)', () => {
  it('takes the worst of what bandwidth, loss and round trip each allow', () => {
    expect(modeFor({ availableKbps: 2500, lossPct: 1, rttMs: 60 })).toBe('full');
    expect(modeFor({ availableKbps: 450, lossPct: 3 })).toBe('document_first');
    expect(modeFor({ availableKbps: 200, lossPct: 3 })).toBe('audio_stills');
    expect(modeFor({ availableKbps: 80, lossPct: 3 })).toBe('audio');
    expect(modeFor({ availableKbps: 2500, lossPct: 9 })).toBe('document_first');
    expect(modeFor({ availableKbps: 2500, lossPct: 16 })).toBe('audio_stills');
    expect(modeFor({ lossPct: 35 })).toBe('audio');
    expect(modeFor({ rttMs: 900 })).toBe('document_first');
    expect(modeFor({ availableKbps: 450, rttMs: 1600 })).toBe('audio_stills');
    // No estimate (nothing leans on it): neither bandwidth nor anything else speaks against full.
    expect(modeFor({})).toBe('full');
    expect(modeFor({ availableKbps: 80, lossPct: 3 }, { ignoreBandwidth: true })).toBe('full');
  });
});

describe('ModeLadder: down quickly, up slowly, one step at a time', () => {
  it('steps down after two samples in a row, to the milder of what they called for', () => {
    const l = new ModeLadder('full', { startSamples: 0 });
    expect(run(l, [{ availableKbps: 100, lossPct: 3 }, clean])).toEqual([undefined, undefined]);
    expect(l.current).toBe('full');
    expect(run(l, [{ availableKbps: 100, lossPct: 3 }, { availableKbps: 200, lossPct: 3 }])).toEqual([undefined, 'audio_stills']);
    expect(run(l, [{ availableKbps: 90, lossPct: 3 }, { availableKbps: 90, lossPct: 3 }])).toEqual([undefined, 'audio']);
  });

  it('steps up one mode per four clean samples, and not while the path is lossy or queued', () => {
    const l = new ModeLadder('audio', { startSamples: 0 });
    expect(run(l, [clean, clean, clean, clean])).toEqual([undefined, undefined, undefined, 'audio_stills']);
    expect(run(l, [clean, clean, { lossPct: 5 }, clean, clean, clean])).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
    expect(run(l, [clean])).toEqual(['document_first']);
    expect(run(l, [clean, clean, clean, clean])).toEqual([undefined, undefined, undefined, 'full']);
    expect(run(l, Array(10).fill(clean))).toEqual(Array(10).fill(undefined));
  });

  it('holds an estimate against the call only when the path shows pressure (loss, or a round trip grown past the least seen)', () => {
    const l = new ModeLadder('full', { startSamples: 0 });
    // A low estimate on a clean, unqueued path: nothing.
    expect(run(l, [{ availableKbps: 514, lossPct: 0, rttMs: 2 }, { availableKbps: 514, lossPct: 0, rttMs: 3 }, { availableKbps: 514, lossPct: 0, rttMs: 40 }])).toEqual([undefined, undefined, undefined]);
    // The same estimate with a queue (round trip 120 ms ≥ 2 × 2 + 50): down.
    expect(run(l, [{ availableKbps: 514, rttMs: 120 }, { availableKbps: 514, rttMs: 130 }])).toEqual([undefined, 'document_first']);
  });

  it('does not hold the estimate against the call while the pictures come back (the other side stepped up)', () => {
    const l = new ModeLadder('full', { startSamples: 0 });
    expect(run(l, [clean, clean])).toEqual([undefined, undefined]);
    l.picturesResumed();
    expect(run(l, [{ availableKbps: 200, lossPct: 3 }, { availableKbps: 200, lossPct: 3 }, { availableKbps: 200, lossPct: 3 }])).toEqual([undefined, undefined, undefined]);
    expect(run(l, [{ availableKbps: 200, lossPct: 3 }, { availableKbps: 200, lossPct: 3 }])).toEqual([undefined, 'audio_stills']);
  });

  it('learns a new path afresh after a rebuild: the old round trip is forgotten and the estimate ramps as at the start', () => {
    const onePath = () => {
      const l = new ModeLadder('full', { startSamples: 0 });
      expect(run(l, [{ lossPct: 0, rttMs: 30 }, { lossPct: 0, rttMs: 30 }])).toEqual([undefined, undefined]);
      return l;
    };
    // The new connection (another node, 150 ms away under load) starts at a low estimate.
    const newConnection: PathFigures[] = [
      { availableKbps: 250, lossPct: 0, rttMs: 150 },
      { availableKbps: 400, lossPct: 0, rttMs: 150 },
      { availableKbps: 650, lossPct: 0, rttMs: 150 },
    ];
    // Held against the old path's least round trip (30 ms), that looks like a queue: down.
    expect(run(onePath(), newConnection)).toEqual([undefined, 'document_first', undefined]);
    const l = onePath();
    l.newPath();
    expect(run(l, newConnection)).toEqual([undefined, undefined, undefined]);
    expect(l.current).toBe('full');
    // Past the ramp, the new path's own least round trip is what a queue is measured against.
    expect(run(l, [{ availableKbps: 400, rttMs: 160 }, { availableKbps: 400, rttMs: 160 }, { availableKbps: 400, rttMs: 160 }])).toEqual([undefined, undefined, undefined]);
    expect(run(l, [{ availableKbps: 400, rttMs: 400 }, { availableKbps: 400, rttMs: 400 }])).toEqual([undefined, 'document_first']);
    // Loss still counts at once on a new path.
    const lossy = onePath();
    lossy.newPath();
    expect(run(lossy, [{ lossPct: 20 }, { lossPct: 20 }])).toEqual([undefined, 'audio_stills']);
  });

  it('does not hold the estimate of the first five samples against the full call (it ramps up with the pictures), but loss counts at once', () => {
    const l = new ModeLadder();
    expect(run(l, [{ availableKbps: 440, lossPct: 3 }, { availableKbps: 500, lossPct: 3 }, { availableKbps: 600, lossPct: 3 }, { availableKbps: 650, lossPct: 3 }, { availableKbps: 650, lossPct: 3 }])).toEqual(Array(5).fill(undefined));
    expect(run(l, [{ availableKbps: 650, lossPct: 3 }, { availableKbps: 650, lossPct: 3 }])).toEqual([undefined, 'document_first']);
    const lossy = new ModeLadder();
    expect(run(lossy, [{ lossPct: 20 }, { lossPct: 20 }])).toEqual([undefined, 'audio_stills']);
  });

  it('does not hold an estimate against a step up while it ramps, but a step undone at once doubles the next wait', () => {
    const l = new ModeLadder('audio_stills', { startSamples: 0 });
    expect(run(l, [clean, clean, clean, clean])).toEqual([undefined, undefined, undefined, 'document_first']);
    // The sender's estimate is still the idle one: ignored for three samples.
    expect(run(l, [{ availableKbps: 150, lossPct: 3 }, { availableKbps: 150, lossPct: 3 }, { availableKbps: 150, lossPct: 3 }])).toEqual([undefined, undefined, undefined]);
    // Then it counts: the path did not carry the step, back down.
    expect(run(l, [{ availableKbps: 150, lossPct: 3 }, { availableKbps: 150, lossPct: 3 }])).toEqual([undefined, 'audio_stills']);
    // The next try waits eight clean samples, not four.
    expect(run(l, Array(7).fill(clean))).toEqual(Array(7).fill(undefined));
    expect(run(l, [clean])).toEqual(['document_first']);
  });
});
