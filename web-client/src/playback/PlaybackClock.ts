/**
 * The one timeline every track follows: a position in ms from the start of the recording that
 * advances with the wall clock while playing, and holds while any track is still fetching or
 * seeking (so that none runs ahead of the others).
 */
export class PlaybackClock {
  readonly duration: number;
  #position = 0;
  #playing = false;
  #last = 0;

  constructor(options: { duration: number }) {
    this.duration = options.duration;
  }

  get position(): number {
    return this.#position;
  }

  get playing(): boolean {
    return this.#playing;
  }

  play(now: number): void {
    if (this.#position >= this.duration) this.#position = 0;
    this.#playing = true;
    this.#last = now;
  }

  pause(): void {
    this.#playing = false;
  }

  seek(ms: number): void {
    this.#position = Math.min(Math.max(0, ms), this.duration);
  }

  /** Advances to `now` unless `held`; stops at the end. */
  tick(now: number, held: boolean): void {
    const dt = now - this.#last;
    this.#last = now;
    if (!this.#playing || held) return;
    this.#position = Math.min(this.#position + dt, this.duration);
    if (this.#position >= this.duration) this.#playing = false;
  }
}
