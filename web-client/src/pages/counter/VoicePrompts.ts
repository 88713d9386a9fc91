/**
 * 语音提示: the counter says its key steps aloud (the browser's zh-CN speech) for applicants who
 * read with difficulty. Switched on and off at the terminal, remembered there like 大字模式.
 *
 * The prompts are fixed sentences: they never carry the applicant's name, ID number or anything
 * else of a case, because a service hall is a public room.
 */
export type VoicePrompt = 'consent' | 'declined' | 'wait' | 'call' | 'document' | 'finish' | 'voiceOnly' | 'videoBack';

const TEXT: Record<VoicePrompt, string> = {
  consent: '本次办理将全程录音录像。请阅读屏幕上的告知，同意请点击“同意并继续”。',
  declined: '您未同意录音录像，本窗口暂不能为您办理，请咨询大厅工作人员。',
  wait: '已为您排队，请在摄像头前稍候，异地工作人员接通后会与您视频通话。',
  call: '工作人员已接通，请面对摄像头，按工作人员的提示把材料放到高拍仪下。',
  document: '您的文书已出具，请点击“打印”取件。',
  finish: '办理已结束。请取走打印的文书，并为本次服务评价。',
  // The call stepped down to the voice (docs/networks.md, the ladder): a covered picture must not
  // make the applicant think the call is lost.
  voiceOnly: '网络不太好，画面暂时停止，通话还在继续，请对着麦克风说话。',
  videoBack: '网络已恢复，视频画面已恢复。',
};

const STORAGE_KEY = 'rvw.counter.voice';

export interface VoicePromptsOptions {
  /** The switch: a button whose aria-pressed and text say whether prompts are on. */
  button: HTMLButtonElement;
  /** Where the setting is kept (the terminal's localStorage). */
  storage: Storage;
  /** The browser's speech; absent in a browser without it (the switch is then hidden). */
  synth: SpeechSynthesis | undefined;
}

export class VoicePrompts {
  readonly #o: VoicePromptsOptions;
  #on: boolean;

  constructor(options: VoicePromptsOptions) {
    this.#o = options;
    this.#on = options.synth !== undefined && options.storage.getItem(STORAGE_KEY) === '1';
    options.button.classList.toggle('hidden', options.synth === undefined);
    options.button.addEventListener('click', () => this.#set(!this.#on));
    this.#render();
  }

  get on(): boolean {
    return this.#on;
  }

  /** Says the prompt of a step, cutting off one still being said (the newest step is what matters). */
  say(prompt: VoicePrompt): void {
    const synth = this.#o.synth;
    if (!this.#on || synth === undefined) return;
    synth.cancel();
    const utterance = new SpeechSynthesisUtterance(TEXT[prompt]);
    utterance.lang = 'zh-CN';
    // Slower than the default: the prompts are for people who find the screen hard going.
    utterance.rate = 0.9;
    synth.speak(utterance);
  }

  #set(on: boolean): void {
    this.#on = on;
    this.#o.storage.setItem(STORAGE_KEY, on ? '1' : '0');
    if (!on) this.#o.synth?.cancel();
    this.#render();
  }

  #render(): void {
    const { button } = this.#o;
    button.textContent = this.#on ? '语音提示：开' : '语音提示：关';
    button.setAttribute('aria-pressed', String(this.#on));
  }
}
