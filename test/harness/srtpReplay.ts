/**
 * Real encoded media as SRTP packets, captured once and replayed from memory: ffmpeg encodes a
 * test pattern (libvpx VP8, libopus; see test/harness/rtpFeeder.ts), then sends it as SRTP
 * (AES_CM_128_HMAC_SHA1_80) under one fixed key and SSRC to a local socket, which keeps every
 * packet with its send time (from the RTP timestamp). Every synthetic client then sends the same
 * bytes: each of them talks to its own mediasoup transport, whose SRTP context is its own, so one
 * key and one SSRC serve them all — and the load generator encrypts nothing per packet. Used by
 * bench:sfu-capacity and test/sfu/plainTransportPeer.test.ts.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import type { types } from 'mediasoup';
import { encodeAudio, encodeVideo } from './rtpFeeder';

const run = promisify(execFile);

/** One stream's packets, ready to send. */
export interface SrtpStream {
  name: string;
  kind: types.MediaKind;
  ssrc: number;
  /** Producer RTP parameters matching the packets. */
  rtpParameters: types.RtpParameters;
  packets: Buffer[];
  /** When each packet is due, ms from the stream's start (ascending). */
  dueMs: Float64Array;
  /** Mean bitrate of the payloads, for the output. */
  kbps: number;
}

export interface StreamSpec {
  name: string;
  kind: types.MediaKind;
  /** Video only. */
  kbps?: number;
  pattern?: 'testsrc2' | 'smptebars' | 'mandelbrot';
}

/** The one key every synthetic client encrypts with (the packets are encrypted once, under it). */
export interface SrtpCapture {
  srtpParameters: types.SrtpParameters;
  streams: SrtpStream[];
}

const SUITE = 'AES_CM_128_HMAC_SHA1_80';

/**
 * Encodes and captures `specs` (cached in `dir` by spec and length). Keyframes every `gop`
 * frames: the replay cannot answer a keyframe request.
 */
export async function captureSrtp(o: { dir: string; seconds: number; gop: number; specs: StreamSpec[] }): Promise<SrtpCapture> {
  const keyFile = path.join(o.dir, 'srtp-key.b64');
  if (!existsSync(keyFile)) await writeFile(keyFile, randomBytes(30).toString('base64'));
  const keyBase64 = (await readFile(keyFile, 'utf8')).trim();
  const streams: SrtpStream[] = [];
  for (const [i, spec] of o.specs.entries()) {
    const ssrc = 0x5100_0000 + i;
    const media =
      spec.kind === 'video'
        ? await encodeVideo({ dir: o.dir, seconds: o.seconds, kbps: spec.kbps ?? 1000, gop: o.gop, pattern: spec.pattern ?? 'testsrc2' })
        : await encodeAudio({ dir: o.dir, seconds: o.seconds });
    const codec: types.RtpCodecParameters =
      spec.kind === 'video' ? { mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 } : { mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 };
    const cache = `${media.file}.srtp-${ssrc}.bin`;
    const packets = existsSync(cache) ? unpack(await readFile(cache)) : await capture(media.file, ssrc, codec.payloadType, keyBase64);
    if (!existsSync(cache)) await writeFile(cache, pack(packets));
    const clock = codec.clockRate;
    const ts0 = packets[0]!.readUInt32BE(4);
    const dueMs = new Float64Array(packets.length);
    for (const [k, p] of packets.entries()) dueMs[k] = (((p.readUInt32BE(4) - ts0) >>> 0) / clock) * 1000;
    const bytes = packets.reduce((n, p) => n + p.length, 0);
    streams.push({
      name: spec.name,
      kind: spec.kind,
      ssrc,
      rtpParameters: { codecs: [codec], encodings: [{ ssrc }] },
      packets,
      dueMs,
      kbps: Math.round((bytes * 8) / dueMs[dueMs.length - 1]!),
    });
  }
  return { srtpParameters: { cryptoSuite: SUITE, keyBase64 }, streams };
}

/** ffmpeg replays the file (4× real time, `-c copy`) as SRTP to a local socket; every packet kept. */
async function capture(file: string, ssrc: number, payloadType: number, keyBase64: string): Promise<Buffer[]> {
  const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 * 1024 * 1024 });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const packets: Buffer[] = [];
  sock.on('message', (m) => packets.push(Buffer.from(m)));
  const port = (sock.address() as AddressInfo).port;
  const proc = spawn(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-nostdin', '-readrate', '4', '-i', file, '-map', '0:0', '-c', 'copy',
      '-f', 'rtp', '-rtpflags', 'skip_rtcp', '-ssrc', String(ssrc | 0), '-payload_type', String(payloadType), '-seq', '1000',
      '-srtp_out_suite', SUITE, '-srtp_out_params', keyBase64, `srtp://127.0.0.1:${port}?pkt_size=1200`],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const code = await new Promise<number | null>((r) => proc.once('exit', r));
  await new Promise((r) => setTimeout(r, 200));
  sock.close();
  if (code !== 0) throw new Error(`ffmpeg SRTP capture of ${file} exited with ${code}`);
  // Every sequence number once and in order: a packet lost here would be counted as the SFU's loss.
  for (let k = 1; k < packets.length; k++) {
    if (packets[k]!.readUInt16BE(2) !== ((packets[k - 1]!.readUInt16BE(2) + 1) & 0xffff)) throw new Error(`SRTP capture of ${file} lost a packet at ${k}`);
  }
  return packets;
}

function pack(packets: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const p of packets) {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(p.length);
    parts.push(len, p);
  }
  return Buffer.concat(parts);
}

function unpack(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < buf.length; ) {
    const len = buf.readUInt16BE(off);
    out.push(buf.subarray(off + 2, off + 2 + len));
    off += 2 + len;
  }
  return out;
}

/** Checks that `ffmpeg` has what the capture needs (the SRTP protocol and -readrate). */
export async function assertFfmpegSrtp(): Promise<void> {
  const { stdout } = await run('ffmpeg', ['-hide_banner', '-protocols']);
  if (!/\bsrtp\b/.test(stdout)) throw new Error('ffmpeg lacks the srtp protocol');
}
