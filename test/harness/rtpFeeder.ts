/**
 * Real encoded RTP into a mediasoup router, cheaply: media is encoded ONCE (ffmpeg lavfi test
 * sources → libvpx VP8 / libopus into WebM files), then replayed at real rate with `-c copy` into
 * loopback PlainTransport producers (comedia), so many sessions cost little more than packet copies.
 * Shared by test/recording and bench/recording.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { types } from 'mediasoup';

const run = promisify(execFile);

export interface EncodedMedia {
  kind: 'video' | 'audio';
  file: string;
}

export interface EncodeOptions {
  dir: string;
  seconds: number;
  /** Video bitrate in kbit/s (ignored for audio). */
  kbps?: number;
  /** Keyframe interval in frames (30 fps). The replay cannot answer a PLI, so this bounds the wait for a keyframe. */
  gop?: number;
  /** Distinguishes test patterns (e.g. face vs document). */
  pattern?: 'testsrc2' | 'smptebars' | 'mandelbrot';
}

/** Encodes a 640x480 30 fps VP8 test pattern once (cached by name). */
export async function encodeVideo(o: EncodeOptions): Promise<EncodedMedia> {
  const pattern = o.pattern ?? 'testsrc2';
  const kbps = o.kbps ?? 1000;
  const gop = o.gop ?? 15;
  const file = path.join(o.dir, `${pattern}-${kbps}k-g${gop}-${o.seconds}s.webm`);
  if (!existsSync(file)) {
    await run('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', `${pattern}=size=640x480:rate=30`, '-t', String(o.seconds),
      '-c:v', 'libvpx', '-b:v', `${kbps}k`, '-minrate', `${kbps}k`, '-maxrate', `${kbps}k`,
      '-deadline', 'realtime', '-cpu-used', '8', '-g', String(gop), '-keyint_min', String(gop), '-auto-alt-ref', '0',
      file,
    ]);
  }
  return { kind: 'video', file };
}

/** Encodes Opus speech-rate test audio once: a 1 kHz beep at the start of each second (beep_factor). */
export async function encodeAudio(o: { dir: string; seconds: number }): Promise<EncodedMedia> {
  const file = path.join(o.dir, `beep-${o.seconds}s.webm`);
  if (!existsSync(file)) {
    await run('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'lavfi', '-i', 'sine=frequency=1000:beep_factor=4:sample_rate=48000', '-t', String(o.seconds),
      '-c:a', 'libopus', '-b:a', '32k', '-ac', '2', file,
    ]);
  }
  return { kind: 'audio', file };
}

export interface FedTrack {
  producer: types.Producer;
  transport: types.PlainTransport;
}

export interface Feeder {
  tracks: FedTrack[];
  /** Epoch ms when the replay process was started. */
  startedAt: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

let nextSsrc = 11110000;

/**
 * Replays `media` into `router`: one producer per entry, all from ONE ffmpeg process (one per
 * session) so the tracks share a clock. `loop` repeats the files (bench); otherwise the replay
 * ends with the files.
 */
export async function feedRouter(o: { router: types.Router; media: EncodedMedia[]; loop?: boolean }): Promise<Feeder> {
  const tracks: FedTrack[] = [];
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin'];
  for (const m of o.media) args.push('-re', ...(o.loop === true ? ['-stream_loop', '-1'] : []), '-i', m.file);
  for (const [i, m] of o.media.entries()) {
    const transport = await o.router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: true, enableSctp: false });
    const ssrc = nextSsrc++;
    const codec: types.RtpCodecParameters =
      m.kind === 'video'
        ? { mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 }
        : { mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 };
    const producer = await transport.produce({ kind: m.kind, rtpParameters: { codecs: [codec], encodings: [{ ssrc }] } });
    tracks.push({ producer, transport });
    args.push('-map', `${i}:0`, '-c', 'copy', '-f', 'rtp', '-ssrc', String(ssrc), '-payload_type', String(codec.payloadType),
      `rtp://127.0.0.1:${transport.tuple.localPort}?pkt_size=1200`);
  }
  const startedAt = Date.now();
  const proc = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    tracks,
    startedAt,
    process: proc,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
      for (const t of tracks) t.transport.close();
    },
  };
}
