import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { spawnRecorder, type RecorderProcess } from './recorderProcess.js';
import { recorderSdp, type RecorderCodec } from './recorderSdp.js';
import { freeRtpPortPair, udpPortBound } from './udpPorts.js';

/**
 * ffmpeg 5.1 (Debian 12) acts on SIGINT only between packets: a read blocked on silent sockets
 * ends at the SDP demuxer's listen_timeout (10 s) — cleanly, trailer written. A second SIGINT would
 * interrupt the read but also the trailer write (an invalid file), so it is never sent.
 */
const STOP_GRACE_MS = 12_000;

/** Options for {@link RecorderHost.spawn}. */
export interface RecorderHostOptions {
  /** One m-line (one track, one file) per codec, in this order. */
  codecs: RecorderCodec[];
  /** Where the files and the SDP go. */
  dir: string;
  /** Names the files: `<base>-<index>.webm` (one m-line: `<base>.webm`). */
  base?: string;
  ffmpegPath?: string;
}

/**
 * One recorder process and the tracks it writes: an ffmpeg reading one SDP with an m-line per
 * track, each into a WebM file of its own (`-c copy`, nothing transcoded). One process for a whole
 * session costs about half the CPU of one per track (docs/recording.md: the cost is wake-ups per
 * packet, and one poll loop over five sockets sleeps less often than five). Its catch: ffmpeg
 * probes every stream before it writes anything, and a video m-line that receives nothing leaves
 * the probe without dimensions and fails every file of the process — so paused tracks never
 * share one, and a shared one that fails is replaced by one per track (SessionRecorder.addAll).
 *
 * The process ends when the last of its tracks lets go ({@link release}); a track that ends
 * before the others stops feeding its m-line and its file is finished with the process.
 */
export class RecorderHost {
  readonly codecs: readonly RecorderCodec[];
  /** RTP port of each m-line (RTCP on port + 1). */
  readonly ports: readonly number[];
  /** The file of each m-line. */
  readonly files: readonly string[];
  readonly sdpFile: string;
  readonly proc: RecorderProcess['proc'];
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  readonly stderr: () => string;
  #held: number;
  #ending: Promise<void> | null = null;

  private constructor(o: { codecs: RecorderCodec[]; ports: number[]; files: string[]; sdpFile: string; rp: RecorderProcess }) {
    this.codecs = o.codecs;
    this.ports = o.ports;
    this.files = o.files;
    this.sdpFile = o.sdpFile;
    this.proc = o.rp.proc;
    this.exited = o.rp.exited;
    this.stderr = o.rp.stderr;
    this.#held = o.codecs.length;
  }

  /** Starts the process; see {@link listening} for when it can take packets. */
  static async spawn(o: RecorderHostOptions): Promise<RecorderHost> {
    if (o.codecs.length === 0) throw new Error('a recorder needs at least one track');
    await mkdir(o.dir, { recursive: true });
    const base = o.base ?? `rec-${Date.now()}-${randomBytes(4).toString('hex')}`;
    const ports: number[] = [];
    while (ports.length < o.codecs.length) {
      // Distinct pairs: nothing binds a probed pair until ffmpeg starts, so a probe may find it again.
      const port = await freeRtpPortPair();
      if (!ports.includes(port)) ports.push(port);
    }
    const files = o.codecs.map((_, i) => path.join(o.dir, o.codecs.length === 1 ? `${base}.webm` : `${base}-${i}.webm`));
    const sdpFile = path.join(o.dir, `.${base}.sdp`);
    await writeFile(sdpFile, recorderSdp(o.codecs.map((codec, i) => ({ codec, port: ports[i]! }))));
    const rp = spawnRecorder({ ...(o.ffmpegPath !== undefined ? { ffmpegPath: o.ffmpegPath } : {}), sdpFile, files });
    return new RecorderHost({ codecs: o.codecs, ports, files, sdpFile, rp });
  }

  /** Number of m-lines (tracks) of the process. */
  get size(): number {
    return this.codecs.length;
  }

  /** Tracks still holding the process. */
  get held(): number {
    return this.#held;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Resolves once ffmpeg has bound every RTP port; rejects if it exits first or takes longer than `timeoutMs`. */
  async listening(timeoutMs: number, isCancelled: () => boolean = () => false): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const port of this.ports) {
      while (!(await udpPortBound(port))) {
        if (isCancelled()) throw new Error('recorder closed before it listened');
        if (!this.running) throw new Error(`recorder process exited before it listened: ${this.stderr().trim().slice(0, 200)}`);
        if (Date.now() > deadline) throw new Error(`recorder did not bind 127.0.0.1:${port}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  }

  /**
   * One track lets go of its m-line. The last one ends the process: SIGINT, so that ffmpeg writes
   * every file's trailer at its next packet (the callers keep their consumers delivering until
   * this resolves). Resolves when the process has exited.
   */
  release(): Promise<void> {
    this.#held = Math.max(0, this.#held - 1);
    if (this.#held === 0) this.#ending ??= this.#end();
    return this.exited.then(() => undefined);
  }

  /** Kills the process without a trailer and removes its files (an idle recorder nobody will use). */
  async discard(): Promise<void> {
    if (this.running) this.proc.kill('SIGKILL');
    await this.exited;
    await Promise.all([this.sdpFile, ...this.files].map((f) => rm(f, { force: true })));
  }

  async #end(): Promise<void> {
    if (this.running) {
      this.proc.kill('SIGINT');
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), STOP_GRACE_MS);
      await this.exited;
      clearTimeout(timer);
    }
    await rm(this.sdpFile, { force: true });
  }
}
