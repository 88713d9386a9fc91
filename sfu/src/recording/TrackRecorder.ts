import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { types } from 'mediasoup';
import { fileDigest } from './fileDigest.js';
import { spawnRecorder } from './recorderProcess.js';
import type { RecorderPool, WarmRecorder } from './RecorderPool.js';
import { recorderCodecFor, recorderRtpCapabilities, recorderSdp, type RecorderCodec } from './recorderSdp.js';
import type { RecordedSegment, RecordedSource, RecorderLogger, SegmentEndReason } from './types.js';
import { freeRtpPortPair, udpPortBound } from './udpPorts.js';

export interface TrackRecorderOptions {
  router: types.Router;
  producer: types.Producer;
  source: RecordedSource;
  sessionId: string;
  dir: string;
  logger: RecorderLogger;
  /** ffmpeg binary (default 'ffmpeg' from Debian). */
  ffmpegPath?: string;
  /**
   * An interposed hop between mediasoup and the recorder (e.g. a loss-injecting relay in tests):
   * given the recorder's RTP port (RTCP on + 1), the address mediasoup should send to instead.
   */
  via?: (recorderPort: number) => Promise<{ port: number; rtcpPort: number }>;
  /** How long the recorder may take to bind its RTP port. */
  listenTimeoutMs?: number;
  /** Recorders started ahead (the node's): one already listening is taken when there is one. */
  pool?: RecorderPool;
}

export interface TrackRecorderEvents {
  /** The recorder ended on its own (producer/router closed, process died); the segment is closed. */
  ended: [RecordedSegment | null, SegmentEndReason];
}

/**
 * ffmpeg 5.1 (Debian 12) acts on SIGINT only between packets: a read blocked on a silent socket
 * ends at the SDP demuxer's listen_timeout (10 s) — cleanly, trailer written. A second SIGINT would
 * interrupt the read but also the trailer write (an invalid file), so it is never sent.
 */
const STOP_GRACE_MS = 12_000;

/** Past the sender's window for ignoring repeated keyframe requests (libwebrtc: 300 ms). */
const KEYFRAME_RETRY_MS = 350;

/**
 * One track → one WebM file, without transcoding: a paused mediasoup consumer on a loopback
 * PlainTransport (comedia off — mediasoup sends to the port the recorder listens on; RTCP on its
 * own port because ffmpeg's RTP demuxer expects port + 1) into `ffmpeg -c copy`. The consumer is
 * resumed only once ffmpeg has bound its port, then one keyframe is requested, so the file starts
 * with a keyframe. Stopping sends SIGINT so ffmpeg writes the Matroska cues and trailer.
 */
export class TrackRecorder extends EventEmitter<TrackRecorderEvents> {
  readonly producerId: string;
  readonly source: RecordedSource;
  /** The file written: the warm recorder's own, or one named after session, source and time. */
  readonly file: string;
  readonly startedAt = Date.now();
  /** Epoch ms of the first (key)frame mediasoup sent to the recorder. */
  firstPacketAt: number | null = null;
  /** Resolves when the recorder listens and the consumer is resumed; rejects if it cannot start. */
  readonly ready: Promise<void>;
  readonly #o: TrackRecorderOptions;
  #transport: types.PlainTransport | null = null;
  #consumer: types.Consumer | null = null;
  #proc: ChildProcess | null = null;
  #exited: Promise<number | null> | null = null;
  #sdpFile: string;
  #closing: Promise<RecordedSegment | null> | null = null;
  readonly #codec: RecorderCodec;
  /** Taken from the pool: listening already, so only the consumer remains to be made. */
  readonly #warm: WarmRecorder | undefined;

  constructor(o: TrackRecorderOptions) {
    super();
    this.#o = o;
    this.producerId = o.producer.id;
    this.source = o.source;
    this.#codec = recorderCodecFor(o.router, o.producer);
    this.#warm = o.pool?.take(this.#codec);
    const base = `${o.sessionId}-${o.source}-${this.startedAt}-${o.producer.id.slice(0, 8)}`;
    this.file = this.#warm?.file ?? path.join(o.dir, `${base}.webm`);
    this.#sdpFile = this.#warm?.sdpFile ?? path.join(o.dir, `.${base}.sdp`);
    this.ready = this.#start();
    this.ready.catch(() => undefined);
  }

  get kind(): types.MediaKind {
    return this.#o.producer.kind;
  }

  /** The recorder process id (for CPU accounting), null before spawn. */
  get pid(): number | null {
    return this.#proc?.pid ?? null;
  }

  get codec(): string {
    return this.#codec.mimeType;
  }

  /** True when the recorder was taken ready from the pool (no process start on this track's path). */
  get warm(): boolean {
    return this.#warm !== undefined;
  }

  async #start(): Promise<void> {
    const { router, producer } = this.#o;
    const codec = this.#codec;
    let port: number;
    if (this.#warm !== undefined) {
      port = this.#warm.port;
      this.#adopt(this.#warm);
    } else {
      port = await freeRtpPortPair();
      // ffmpeg starts while mediasoup builds the transport and the paused consumer.
      await writeFile(this.#sdpFile, recorderSdp(codec, port));
      this.#adopt(spawnRecorder({ ...(this.#o.ffmpegPath !== undefined ? { ffmpegPath: this.#o.ffmpegPath } : {}), sdpFile: this.#sdpFile, file: this.file }));
    }
    const transport = await router.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
      rtcpMux: false,
      comedia: false,
      enableSctp: false,
    });
    this.#transport = transport;
    const to = this.#o.via !== undefined ? await this.#o.via(port) : { port, rtcpPort: port + 1 };
    // Requests to one worker are handled in the order sent: connect, then the paused consumer,
    // without waiting in between (on a loaded worker each round trip costs tens of ms).
    const [, consumer] = await Promise.all([
      transport.connect({ ip: '127.0.0.1', port: to.port, rtcpPort: to.rtcpPort }),
      transport.consume({ producerId: producer.id, rtpCapabilities: recorderRtpCapabilities(router), paused: true }),
    ]);
    this.#consumer = consumer;
    if (consumer.rtpParameters.codecs[0]?.payloadType !== codec.payloadType) throw new Error(`recorder consumer payload type ${consumer.rtpParameters.codecs[0]?.payloadType} ≠ SDP ${codec.payloadType}`);
    consumer.on('producerclose', () => void this.#endedBy('producer-closed'));
    consumer.on('transportclose', () => void this.#endedBy('router-closed'));
    consumer.on('trace', (t) => {
      if (this.firstPacketAt !== null) return;
      if (consumer.kind === 'video' && t.type !== 'keyframe') return;
      this.firstPacketAt = Date.now();
      void consumer.enableTraceEvent([]).catch(() => undefined);
    });
    const tracing = consumer.enableTraceEvent(consumer.kind === 'video' ? ['keyframe'] : ['rtp']);

    // A warm recorder was listening before it was handed out; a cold one is waited for.
    const deadline = Date.now() + (this.#o.listenTimeoutMs ?? 5000);
    while (this.#warm === undefined && !(await udpPortBound(port))) {
      if (this.#closing !== null) throw new Error('recorder closed before it listened');
      if (this.#proc?.exitCode !== null) throw new Error('recorder process exited before it listened');
      if (Date.now() > deadline) throw new Error(`recorder did not bind 127.0.0.1:${port}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    // Tracing, resuming and the keyframe request in one go, in that order.
    await Promise.all([tracing, consumer.resume(), consumer.kind === 'video' ? consumer.requestKeyFrame() : undefined]);
    // The call's own consumers may have asked for a keyframe just before: the sender ignores a
    // second request that soon (libwebrtc: 300 ms), and mediasoup asks again only after a whole
    // second. Ask once more past that window if none came, so the file starts sooner.
    if (consumer.kind === 'video') {
      setTimeout(() => {
        if (this.firstPacketAt === null && !consumer.closed) void consumer.requestKeyFrame().catch(() => undefined);
      }, KEYFRAME_RETRY_MS).unref();
    }
  }

  #adopt(rp: { proc: ChildProcess; exited: Promise<number | null>; stderr(): string }): void {
    this.#proc = rp.proc;
    this.#exited = rp.exited;
    void rp.exited.then((code) => {
      const stderr = rp.stderr().trim();
      if (stderr !== '') this.#o.logger.warn({ producerId: this.producerId, code, stderr: stderr.slice(0, 1000) }, 'recorder stderr');
      if (this.#closing === null) void this.#endedBy('recorder-failed');
    });
  }

  /** Ends the segment (EOS via SIGINT), returns it once the file is closed and hashed; null if nothing was written. */
  stop(reason: SegmentEndReason = 'stopped'): Promise<RecordedSegment | null> {
    this.#closing ??= this.#close(reason);
    return this.#closing;
  }

  async #endedBy(reason: SegmentEndReason): Promise<void> {
    if (this.#closing !== null) return;
    const segment = await this.stop(reason);
    this.emit('ended', segment, reason);
  }

  async #close(reason: SegmentEndReason): Promise<RecordedSegment | null> {
    // The segment ends now (media stops now); ffmpeg may take longer to write its trailer.
    const endedAt = Date.now();
    await this.ready.catch(() => undefined);
    const proc = this.#proc;
    if (proc !== null && proc.exitCode === null && proc.signalCode === null) {
      // SIGINT while the consumer still delivers: the next packet (≤ one frame interval) lets
      // ffmpeg stop reading and write its trailer; only then is the transport closed.
      proc.kill('SIGINT');
      const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
      await this.#exited;
      clearTimeout(timer);
    }
    this.#transport?.close();
    await rm(this.#sdpFile, { force: true });
    const st = await stat(this.file).catch(() => null);
    if (st === null || st.size === 0) {
      this.#o.logger.warn({ producerId: this.producerId, reason }, 'recording segment empty (no media arrived)');
      await rm(this.file, { force: true });
      return null;
    }
    const { sha256, bytes } = await fileDigest(this.file);
    return {
      sessionId: this.#o.sessionId,
      file: this.file,
      sha256,
      bytes,
      startedAt: this.startedAt,
      endedAt,
      tracks: [{ source: this.source, kind: this.kind, codec: this.#codec.mimeType, producerId: this.producerId, firstPacketAt: this.firstPacketAt }],
      reason,
    };
  }
}
