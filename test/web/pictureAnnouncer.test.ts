import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PictureAnnouncer } from '@rvw/web-client/pages/counter/PictureAnnouncer';

describe('PictureAnnouncer: what the counter says aloud as the ladder moves (#17, 语音提示)', () => {
  let said: string[];
  let a: PictureAnnouncer;
  beforeEach(() => {
    vi.useFakeTimers();
    said = [];
    a = new PictureAnnouncer({ say: (p) => said.push(p), holdMs: 16_000 });
  });
  afterEach(() => vi.useRealTimers());

  it('says the fall at once and the return once the pictures have held', () => {
    a.show(true);
    expect(said).toEqual([]);
    a.show(false);
    expect(said).toEqual(['voiceOnly']);
    a.show(false); // audio_stills → audio: still the voice
    expect(said).toEqual(['voiceOnly']);
    a.show(true);
    vi.advanceTimersByTime(15_999);
    expect(said).toEqual(['voiceOnly']);
    a.show(true); // document_first → full: the wait is not restarted
    vi.advanceTimersByTime(1);
    expect(said).toEqual(['voiceOnly', 'videoBack']);
    a.show(false);
    expect(said).toEqual(['voiceOnly', 'videoBack', 'voiceOnly']);
  });

  it('keeps quiet about a step up that is undone before it held (the ladder’s tries on a path still too poor)', () => {
    a.show(false);
    for (let i = 0; i < 4; i++) {
      a.show(true);
      vi.advanceTimersByTime(6_000);
      a.show(false);
      vi.advanceTimersByTime(20_000);
    }
    expect(said).toEqual(['voiceOnly']);
  });

  it('says nothing of a call that ended, and the next call starts with its pictures', () => {
    a.show(false);
    a.show(true);
    a.reset();
    vi.advanceTimersByTime(60_000);
    expect(said).toEqual(['voiceOnly']);
    a.show(true);
    vi.advanceTimersByTime(60_000);
    expect(said).toEqual(['voiceOnly']);
    a.show(false);
    expect(said).toEqual(['voiceOnly', 'voiceOnly']);
  });
});
