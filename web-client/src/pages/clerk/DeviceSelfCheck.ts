import { askInDialog } from '../../ui/askInDialog';
import { attachTrack, byId, messageFor, toast } from '../../ui/dom';

/** The page's own camera and microphone (the desk's preview tracks). */
export interface LocalDevices {
  mic: MediaStreamTrack;
  face: MediaStreamTrack;
}

/** How long without a picture or a sound before the check says so (the clerk may be quiet a moment). */
const VERDICT_MS = 5000;
/** How often the meter and the picture are looked at. */
const SAMPLE_MS = 100;
/** The meter's range: -60 dBFS (a quiet room) reads empty, 0 dBFS full. */
const FLOOR_DB = -60;
/** How far the meter may drop per sample (a full bar empties in about a second). */
const FALL_PER_SAMPLE = 0.08;
/** Louder than this counts as sound: above a quiet room's hiss, below normal speech at a desk. */
const SOUND_DB = -45;

/**
 * 设备自检 (`#selfcheck-dialog`, from the queue view): before accepting anyone, the clerk sees the
 * camera's picture and a live microphone level (WebAudio AnalyserNode on the microphone), with
 * 摄像头正常 / 未检测到画面 and 麦克风正常 / 未检测到声音 once frames or sound arrive or after a few
 * seconds without. It uses the tracks the page already holds for its desk (`devices()` opens them
 * only if the page has none yet, and then keeps them for the desk): a second capture of the same
 * camera could fail on some drivers or change what the applicant would see. Nothing here stops or
 * alters those tracks; closing the dialog only releases the analysis.
 */
export class DeviceSelfCheck {
  constructor(private readonly devices: () => Promise<LocalDevices>) {
    byId('btn-selfcheck').addEventListener('click', () => void this.open());
  }

  async open(): Promise<void> {
    // Created within the click: a context started by a gesture runs without an autoplay prompt.
    let audio: AudioContext | undefined;
    try {
      audio = new AudioContext();
    } catch {
      audio = undefined;
    }
    let local: LocalDevices;
    try {
      local = await this.devices();
    } catch (e) {
      void audio?.close();
      return toast(messageFor(e, '无法打开摄像头和麦克风，请检查设备连接和浏览器权限'), 'error');
    }
    const video = byId<HTMLVideoElement>('selfcheck-video');
    const meter = byId<HTMLMeterElement>('mic-level');
    const camera = verdict('selfcheck-camera');
    const mic = verdict('selfcheck-mic');
    meter.value = 0;
    attachTrack(video, local.face);
    const analyser = audio ? listen(audio, local.mic) : undefined;
    if (!analyser) mic('fail', '无法检测麦克风（浏览器不支持音频分析）');
    const opened = Date.now();
    let frames = -1;
    let heard = false;
    let seen = false;
    const sample = (): void => {
      const late = Date.now() - opened > VERDICT_MS;
      // A picture is there when frames keep arriving, not merely when the element has a size.
      const total = video.getVideoPlaybackQuality().totalVideoFrames;
      const moving = local.face.readyState === 'live' && !local.face.muted && video.videoWidth > 0 && frames >= 0 && total > frames;
      frames = total;
      if (moving && !seen) {
        seen = true;
        camera('pass', '摄像头正常');
      } else if (!seen && late) camera('fail', local.face.readyState === 'live' ? '未检测到画面（请检查摄像头是否被遮挡或被其他程序占用）' : '未检测到画面（摄像头已断开）');
      if (!analyser) return;
      const db = analyser.level();
      const level = Math.min(1, Math.max(0, (db - FLOOR_DB) / -FLOOR_DB));
      // Rises at once, falls slowly (like a hall's VU meter): a syllable stays readable.
      meter.value = Math.max(level, meter.value - FALL_PER_SAMPLE);
      if (db > SOUND_DB && !heard) {
        heard = true;
        mic('pass', '麦克风正常');
      } else if (!heard && late) mic('fail', local.mic.readyState === 'live' ? '未检测到声音（请对着麦克风说话，并检查是否静音）' : '未检测到声音（麦克风已断开）');
    };
    const timer = window.setInterval(sample, SAMPLE_MS);
    try {
      await askInDialog(byId<HTMLDialogElement>('selfcheck-dialog'));
    } finally {
      window.clearInterval(timer);
      analyser?.release();
      void audio?.close().catch(() => undefined);
      // Only the preview element lets go: the tracks are the desk's.
      video.srcObject = null;
      meter.value = 0;
    }
  }
}

/** Writes one line's verdict: checking (pending), 正常 (pass) or what is wrong (fail). */
function verdict(id: string): (state: 'pending' | 'pass' | 'fail', text: string) => void {
  const el = byId(id);
  const set = (state: 'pending' | 'pass' | 'fail', text: string): void => {
    el.textContent = text;
    el.className = `check ${state}`;
  };
  set('pending', '检测中…');
  return set;
}

/** The microphone's level (dBFS, RMS of the last analysis window) through an AnalyserNode, not played anywhere. */
function listen(audio: AudioContext, mic: MediaStreamTrack): { level(): number; release(): void } | undefined {
  try {
    const source = audio.createMediaStreamSource(new MediaStream([mic]));
    const analyser = audio.createAnalyser();
    analyser.fftSize = 2048;
    source.connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    // A context made before the click's promise settled may start suspended: ask once more.
    if (audio.state === 'suspended') void audio.resume().catch(() => undefined);
    return {
      level() {
        analyser.getFloatTimeDomainData(samples);
        let sum = 0;
        for (const s of samples) sum += s * s;
        const rms = Math.sqrt(sum / samples.length);
        return rms > 0 ? 20 * Math.log10(rms) : -Infinity;
      },
      release() {
        source.disconnect();
      },
    };
  } catch {
    return undefined;
  }
}
