import { EventEmitter } from 'node:events';
import { rm, stat } from 'node:fs/promises';
import type { types } from 'mediasoup';
import { fileDigest } from './fileDigest.js';
import type { RecorderHost } from './RecorderHost.js';
import { recorderCodecFor, recorderRtpCapabilities, type RecorderCodec } from './recorderSdp.js';
import type { RecordedSegment, RecordedSource, RecorderLogger, SegmentEndReason } from './types.js';
import { rtcpSinkPort } from './udpPorts.js';

export interface TrackRecorderOptions {
  /** The router the producer lives in (the call's, or a linked desk's for the clerk's own tracks). */
  router: types.Router;
  producer: types.Producer;
  source: RecordedSource;
  sessionId: string;
  logger: RecorderLogger;
  /** The recorder process and which of its m-lines (and files) this track feeds. */
  host: RecorderHost;
  index: number;
  /** True when the host was started ahead (RecorderPool) and listens already. */
  warm?: boolean;
  /**
   * An interposed hop between mediasoup and the recorder (e.g. a loss-injecting relay in tests):
   * given the recorder's RTP port (RTCP on + 1), the address mediasoup should send to instead.
   */
  via?: (recorderPort: number) => Promise<{ port: number; rtcpPort: number }>;
  /** How long the recorder may take to bind its RTP ports. */
  listenTimeoutMs?: number;
  /**
   * A picture armed before the call starts it (see SessionRecorder.addAll): the consumer stays
   * paused until the call's first pipe of the producer is about to start — `whenStarts` registers
   * the resume to run just before it (PictureStarts) and returns a canceller — so that one keyframe
   * starts the call and the recording alike. Resumed anyway after `timeoutMs`.
   */
  holdForCall?: HoldForCall;
}

/** See TrackRecorderOptions.holdForCall. */
export interface HoldForCall {
  whenStarts: (producerId: string, start: () => void) => () => void;
  timeoutMs: number;
}

export interface TrackRecorderEvents {
  /** The recorder ended on its own (producer/router closed, process died); the segment is closed. */
  ended: [RecordedSegment | null, SegmentEndReason];
}

/** Past the sender's window for ignoring repeated keyframe requests (libwebrtc: 300 ms). */
const KEYFRAME_RETRY_MS = 350;

/**
 * One track → one WebM file, without transcoding: a paused mediasoup consumer on a loopback
 * PlainTransport (comedia off — mediasoup sends to the port the recorder listens on; RTCP on its
 * own port because ffmpeg's RTP demuxer expects port + 1; see rtcpSinkPort for a shared process)
 * into one m-line of a recorder process
 * (RecorderHost: `ffmpeg -c copy`, alone or with the session's other tracks). The consumer is
 * resumed only once ffmpeg has bound its ports, then one keyframe is requested, so the file
 * starts with a keyframe. The last track of a process to stop ends it with SIGINT, so ffmpeg
 * writes the Matroska cues and trailers.
 */
export class TrackRecorder extends EventEmitter<TrackRecorderEvents> {
  readonly producerId: string;
  readonly source: RecordedSource;
  /** The file written (the host's file for this track's m-line). */
  readonly file: string;
  readonly startedAt = Date.now();
  /** Epoch ms of the first (key)frame mediasoup sent to the recorder. */
  firstPacketAt: number | null = null;
  /** Resolves when the recorder listens and the consumer is resumed; rejects if it cannot start. */
  readonly ready: Promise<void>;
  readonly #o: TrackRecorderOptions;
  readonly #host: RecorderHost;
  #transport: types.PlainTransport | null = null;
  #closing: Promise<RecordedSegment | null> | null = null;
  readonly #codec: RecorderCodec;

  constructor(o: TrackRecorderOptions) {
    super();
    this.#o = o;
    this.#host = o.host;
    this.producerId = o.producer.id;
    this.source = o.source;
    this.#codec = recorderCodecFor(o.router, o.producer);
    const expected = o.host.codecs[o.index];
    if (expected === undefined || expected.payloadType !== this.#codec.payloadType || expected.kind !== this.#codec.kind) throw new Error(`recorder m-line ${o.index} does not carry ${this.#codec.mimeType}`);
    this.file = o.host.files[o.index]!;
    this.ready = this.#start();
    this.ready.catch(() => undefined);
    void o.host.exited.then(() => {
      // The process ended before this track let go of it (it failed, or was killed).
      if (this.#closing === null) void this.#endedBy('recorder-failed');
    });
  }

  get kind(): types.MediaKind {
    return this.#o.producer.kind;
  }

  /** The recorder process id (for CPU accounting). */
  get pid(): number | null {
    return this.#host.proc.pid ?? null;
  }

  get codec(): string {
    return this.#codec.mimeType;
  }

  /** True when the recorder was started ahead (no process start on this track's path). */
  get warm(): boolean {
    return this.#o.warm === true;
  }

  /** True when the track shares its recorder process with other tracks. */
  get shared(): boolean {
    return this.#host.size > 1;
  }

  async #start(): Promise<void> {
    const { router, producer } = this.#o;
    const codec = this.#codec;
    const port = this.#host.ports[this.#o.index]!;
    const transport = await router.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
      rtcpMux: false,
      comedia: false,
      enableSctp: false,
    });
    this.#transport = transport;
    const to = this.#o.via !== undefined ? await this.#o.via(port) : { port, rtcpPort: this.#host.size > 1 ? await rtcpSinkPort() : port + 1 };
    // Requests to one worker are handled in the order sent: connect, then the paused consumer,
    // without waiting in between (on a loaded worker each round trip costs tens of ms).
    const [, consumer] = await Promise.all([
      transport.connect({ ip: '127.0.0.1', port: to.port, rtcpPort: to.rtcpPort }),
      transport.consume({ producerId: producer.id, rtpCapabilities: recorderRtpCapabilities(router), paused: true }),
    ]);
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
    if (this.#o.warm !== true) await this.#host.listening(this.#o.listenTimeoutMs ?? 5000, () => this.#closing !== null);
    if (consumer.kind === 'video' && this.#o.holdForCall !== undefined) {
      await tracing;
      this.#resumeWithCall(consumer, this.#o.holdForCall);
      return;
    }
    await Promise.all([tracing, this.#resume(consumer)]);
  }

  /**
   * Resumes the consumer just before the call's first pipe of the producer starts (that start asks
   * the sender for a keyframe, which then reaches this consumer too: mediasoup hands a keyframe to
   * every consumer waiting for one), or after `timeoutMs` if none does.
   */
  #resumeWithCall(consumer: types.Consumer, hold: HoldForCall): void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const go = (why: 'with-call' | 'timeout') => {
      if (timer === undefined) return;
      clearTimeout(timer);
      timer = undefined;
      cancel();
      if (consumer.closed || this.#closing !== null) return;
      // Sent now, synchronously: it must reach the worker before the pipe's own resume.
      void this.#resume(consumer).catch(() => undefined);
      this.#o.logger.info({ producerId: this.producerId, source: this.source, why }, 'recording picture started');
    };
    const cancel = hold.whenStarts(this.producerId, () => go('with-call'));
    timer = setTimeout(() => go('timeout'), hold.timeoutMs);
    timer.unref();
    consumer.observer.once('close', () => {
      clearTimeout(timer);
      timer = undefined;
      cancel();
    });
  }

  /** Resumes the consumer; a picture asks for a keyframe, and once more if none came soon. */
  async #resume(consumer: types.Consumer): Promise<void> {
    await Promise.all([consumer.resume(), consumer.kind === 'video' ? consumer.requestKeyFrame() : undefined]);
    // The call's own consumers may have asked for a keyframe just before: the sender ignores a
    // second request that soon (libwebrtc: 300 ms), and mediasoup asks again only after a whole
    // second. Ask once more past that window if none came, so the file starts sooner.
    if (consumer.kind === 'video') {
      setTimeout(() => {
        if (this.firstPacketAt === null && !consumer.closed) void consumer.requestKeyFrame().catch(() => undefined);
      }, KEYFRAME_RETRY_MS).unref();
    }
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
    const host = this.#host;
    if (host.held > 1) {
      // Others still write through this process: this track's media ends here, and its file is
      // finished (trailer, cues) when the process ends with the last of them.
      this.#transport?.close();
      await host.release();
    } else {
      // The last one: SIGINT while the consumer still delivers, so the next packet (≤ one frame
      // interval) lets ffmpeg stop reading and write the trailers; only then is the transport closed.
      await host.release();
      this.#transport?.close();
    }
    // Said once per process, by its first track's recorder (the process has exited by now).
    const stderr = host.stderr().trim();
    if (stderr !== '' && this.#o.index === 0) this.#o.logger.warn({ producerId: this.producerId, code: host.proc.exitCode, stderr: stderr.slice(0, 1000) }, 'recorder stderr');
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
