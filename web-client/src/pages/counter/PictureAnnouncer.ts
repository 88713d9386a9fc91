/**
 * When the counter says aloud that the pictures stopped or came back (语音提示 for #17's ladder).
 *
 * The ladder tries a step up after a clean stretch of the voice; on a path that still cannot carry
 * the pictures that step is undone within seconds, and the next try waits twice as long. Saying
 * each try aloud would tell an applicant "画面已恢复" and "画面暂时停止" again and again, minutes
 * long. So a return is said once the pictures have held for `holdMs`, and a fall only after a
 * return was said (or at the first fall): what is said is what the applicant lives through.
 */
export interface PictureAnnouncerOptions {
  say(prompt: 'voiceOnly' | 'videoBack'): void;
  /** How long the pictures must hold before their return is said (default 16 s: the ladder counts a step up undone within 7 samples, 14 s, as a failed try). */
  holdMs?: number;
}

export class PictureAnnouncer {
  readonly #say: PictureAnnouncerOptions['say'];
  readonly #holdMs: number;
  /** What the applicant was last told: the pictures run, or only the voice. */
  #told: 'pictures' | 'voice' = 'pictures';
  #pending: ReturnType<typeof setTimeout> | undefined;

  constructor(options: PictureAnnouncerOptions) {
    this.#say = options.say;
    this.#holdMs = options.holdMs ?? 16_000;
  }

  /** The mode shown now carries the pictures (`true`) or only the voice. */
  show(pictures: boolean): void {
    if (!pictures) {
      this.#cancel();
      if (this.#told === 'pictures') this.#say('voiceOnly');
      this.#told = 'voice';
      return;
    }
    if (this.#told === 'pictures' || this.#pending !== undefined) return;
    this.#pending = setTimeout(() => {
      this.#pending = undefined;
      this.#told = 'pictures';
      this.#say('videoBack');
    }, this.#holdMs);
  }

  /** The call ended: nothing more is said of it, and the next one starts with its pictures. */
  reset(): void {
    this.#cancel();
    this.#told = 'pictures';
  }

  #cancel(): void {
    if (this.#pending !== undefined) clearTimeout(this.#pending);
    this.#pending = undefined;
  }
}
