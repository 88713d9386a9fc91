import { spawn, type ChildProcess } from 'node:child_process';

/** A running recorder: ffmpeg reading one track's RTP (as its SDP file says) into one WebM file. */
export interface RecorderProcess {
  proc: ChildProcess;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** What it wrote to stderr (first 4000 characters). */
  stderr(): string;
}

/**
 * Spawns `ffmpeg -c copy` from an SDP (one m-line) into a WebM file. Nothing is transcoded. The
 * process reads its UDP port until SIGINT (then, at the next packet, it writes the trailer and
 * exits) or until nothing arrived for the SDP demuxer's 10 s (listen_timeout), which also ends
 * the file cleanly.
 */
export function spawnRecorder(options: { ffmpegPath?: string; sdpFile: string; file: string }): RecorderProcess {
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
      '-i', options.sdpFile,
      '-map', '0', '-c', 'copy', '-f', 'webm', '-y', options.file,
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
