/**
 * A short two-note chime made with WebAudio oscillators: no audio file to fetch, nothing for the
 * CSP to allow, and it works offline. Browsers let a page start audio only after the person has
 * interacted with it (autoplay policy), so the AudioContext is created on the page's first click
 * or key press; until then (or where audio cannot run) `play()` plays nothing and says so, and the
 * caller's visible alert has to do.
 */
export class Chime {
  readonly #target: EventTarget;
  #context: AudioContext | undefined;
  readonly #arm = (): void => {
    try {
      this.#context ??= new AudioContext();
    } catch {
      // No WebAudio here (a locked-down kiosk browser): the visible alert is enough.
      return this.#disarm();
    }
    // Within the gesture: resume() is allowed now, and the sticky activation lets later ones work.
    void this.#context.resume().catch(() => undefined);
    this.#disarm();
  };

  /** Waits for the person's first click or key press on `target` to create the audio context. */
  constructor(target: EventTarget = document) {
    this.#target = target;
    // pointerdown and keydown are user activations; click would come too late for some browsers' checks.
    target.addEventListener('pointerdown', this.#arm, true);
    target.addEventListener('keydown', this.#arm, true);
  }

  #disarm(): void {
    this.#target.removeEventListener('pointerdown', this.#arm, true);
    this.#target.removeEventListener('keydown', this.#arm, true);
  }

  /**
   * Plays the chime if audio can run now. Resolves true only when the oscillators were actually
   * started on a running context (what a test may count), false when nothing could be heard.
   */
  async play(): Promise<boolean> {
    const ctx = this.#context;
    if (!ctx) return false;
    // A function, not a narrowed property: the state changes while resume() is awaited.
    const running = (): boolean => ctx.state === 'running';
    if (!running()) {
      // Suspended by the browser (e.g. no gesture yet honoured): one try, never a wait on it.
      await Promise.race([ctx.resume().catch(() => undefined), new Promise((r) => setTimeout(r, 300))]);
      if (!running()) return false;
    }
    const start = ctx.currentTime + 0.02;
    // Two soft sine notes (E6 then C6), like a service-hall call bell, about 0.7 s in all.
    for (const [i, frequency] of [1318.5, 1046.5].entries()) {
      const at = start + i * 0.22;
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'sine';
      osc.frequency.value = frequency;
      // A quick attack and an exponential decay: no click at either end.
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.45);
      osc.connect(gain).connect(ctx.destination);
      osc.start(at);
      osc.stop(at + 0.5);
      osc.onended = () => gain.disconnect();
    }
    return true;
  }
}
