import { spawn, type ChildProcess } from 'node:child_process';

/** A running recorder: ffmpeg reading tracks' RTP (as its SDP file says), each into a WebM file. */
export interface RecorderProcess {
  proc: ChildProcess;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** What it wrote to stderr (first 4000 characters). */
  stderr(): string;
}

/**
 * Spawns `ffmpeg -c copy` from an SDP, m-line i into `files[i]`. Nothing is transcoded. The
 * process reads its UDP port until SIGINT (then, at the next packet, it writes the trailer and
 * exits) or until nothing arrived for the SDP demuxer's 10 s (listen_timeout), which also ends
 * the file cleanly.
 */
export function spawnRecorder(options: { ffmpegPath?: string; sdpFile: string; files: readonly string[] }): RecorderProcess {
  const proc = spawn(
    options.ffmpegPath ?? 'ffmpeg',
    [
      '-hide_banner', '-nostdin', '-loglevel', 'error',
      '-protocol_whitelist', 'file,udp,rtp',
      // Loopback barely reorders; a deep queue only holds every packet behind a lost one (the
      // demuxer has no retransmission path — docs/recording.md), so keep it short.
      '-reorder_queue_size', '16',
      // Listen on loopback only: ffmpeg's default is every interface, where anyone on the network
      // could put packets into the evidence.
      '-localaddr', '127.0.0.1',
      // How long ffmpeg probes for every stream's parameters (packets are kept meanwhile, not
      // lost). A picture with no keyframe by then fails the process (see RecorderHost): a shorter
      // probe loses less of a session whose camera is dark, a longer one tolerates a slower first
      // keyframe under load (normally 0.1–0.5 s after the request).
      '-analyzeduration', '3000000',
      '-i', options.sdpFile,
      // Each file starts at 0: a track whose first packet came later than another's of the same
      // process would otherwise start at that offset (the playback page places files by wall time).
      ...options.files.flatMap((file, i) => ['-map', `0:${i}`, '-c', 'copy', '-avoid_negative_ts', 'make_zero', '-f', 'webm', '-y', file]),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 4000) stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, exited, stderr: () => stderr };
}
