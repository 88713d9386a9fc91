import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { spawnRecorder, type RecorderProcess } from './recorderProcess.js';
import { recorderSdp, type RecorderCodec } from './recorderSdp.js';
import type { RecorderLogger } from './types.js';
import { freeRtpPortPair, udpPortBound } from './udpPorts.js';

/** A recorder process already listening on its port, handed to one track. */
export interface WarmRecorder extends RecorderProcess {
  port: number;
  codec: RecorderCodec;
  /** The file it will write (created when the first packets arrive). */
  file: string;
  sdpFile: string;
}

/** Options for {@link RecorderPool}. */
export interface RecorderPoolOptions {
  /** Where warm recorders will write (the node's live recordings directory). */
  dir: string;
  logger: RecorderLogger;
  ffmpegPath?: string;
  /** How often an idle recorder is poked so that its 10 s read timeout never fires (default 3 s). */
  keepaliveMs?: number;
}

const codecKey = (c: RecorderCodec): string => `${c.mimeType.toLowerCase()}/${c.payloadType}/${c.clockRate}/${c.channels ?? 1}`;

/**
 * Recorder processes started ahead of need. Starting ffmpeg costs a second or more on a loaded
 * 2-core node (five of them at once: ~3 s), so a call recorded by processes spawned at 受理 loses
 * its first seconds. The pool keeps a few per codec listening; a track takes one and only has to
 * create its consumer. An idle recorder would end itself after the SDP demuxer's 10 s without a
 * packet; an RTCP APP packet to its RTCP port every few seconds resets that wait and writes
 * nothing (the demuxer ignores APP), so a taken recorder still ends its file after 10 s of silence.
 */
export class RecorderPool {
  readonly #o: RecorderPoolOptions;
  readonly #want = new Map<string, { codec: RecorderCodec; count: number }>();
  readonly #warm = new Map<string, WarmRecorder[]>();
  readonly #starting = new Map<string, number>();
  readonly #socket = dgram.createSocket('udp4');
  readonly #timer: NodeJS.Timeout;
  #closed = false;

  constructor(options: RecorderPoolOptions) {
    this.#o = options;
    this.#socket.unref();
    this.#timer = setInterval(() => this.#keepalive(), options.keepaliveMs ?? 3000);
    this.#timer.unref();
  }

  /** Keeps `count` recorders of each codec ready from now on (a later call changes the counts). */
  keepWarm(codecs: { codec: RecorderCodec; count: number }[]): void {
    if (this.#closed) return;
    for (const w of codecs) this.#want.set(codecKey(w.codec), w);
    for (const key of this.#want.keys()) this.#refill(key);
  }

  /** Ready recorders now, per codec (for metrics and tests). */
  get ready(): number {
    let n = 0;
    for (const list of this.#warm.values()) n += list.length;
    return n;
  }

  /** Process ids of the ready recorders (for CPU accounting by a bench, and tests). */
  get pids(): number[] {
    return [...this.#warm.values()].flat().flatMap((w) => (w.proc.pid === undefined ? [] : [w.proc.pid]));
  }

  /** A listening recorder for `codec`, if one is ready; another is started in its place. */
  take(codec: RecorderCodec): WarmRecorder | undefined {
    const key = codecKey(codec);
    const list = this.#warm.get(key) ?? [];
    let taken: WarmRecorder | undefined;
    while ((taken = list.shift()) !== undefined && taken.proc.exitCode !== null);
    this.#refill(key);
    return taken;
  }

  /** Stops keeping recorders warm and ends the idle ones (nothing was written by them). */
  async drain(): Promise<void> {
    this.#want.clear();
    const idle = [...this.#warm.values()].flat();
    this.#warm.clear();
    await Promise.all(idle.map((w) => this.#discard(w)));
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.drain();
    this.#socket.close();
  }

  #refill(key: string): void {
    const want = this.#want.get(key);
    if (!want || this.#closed) return;
    const have = (this.#warm.get(key)?.length ?? 0) + (this.#starting.get(key) ?? 0);
    for (let i = have; i < want.count; i++) {
      this.#starting.set(key, (this.#starting.get(key) ?? 0) + 1);
      void this.#start(want.codec)
        .then((w) => {
          if (this.#closed || !this.#want.has(key)) return this.#discard(w);
          const list = this.#warm.get(key) ?? [];
          list.push(w);
          this.#warm.set(key, list);
          // One that dies idle is replaced.
          void w.exited.then(() => {
            const l = this.#warm.get(key);
            const at = l?.indexOf(w) ?? -1;
            if (l && at >= 0) {
              l.splice(at, 1);
              this.#refill(key);
            }
          });
        })
        .catch((e: Error) => this.#o.logger.warn({ err: e.message, codec: key }, 'warm recorder did not start'))
        .finally(() => this.#starting.set(key, (this.#starting.get(key) ?? 1) - 1));
    }
  }

  async #start(codec: RecorderCodec): Promise<WarmRecorder> {
    await mkdir(this.#o.dir, { recursive: true });
    const port = await freeRtpPortPair();
    const base = `warm-${Date.now()}-${randomBytes(4).toString('hex')}`;
    const file = path.join(this.#o.dir, `${base}.webm`);
    const sdpFile = path.join(this.#o.dir, `.${base}.sdp`);
    await writeFile(sdpFile, recorderSdp(codec, port));
    const rp = spawnRecorder({ ...(this.#o.ffmpegPath !== undefined ? { ffmpegPath: this.#o.ffmpegPath } : {}), sdpFile, file });
    const warm: WarmRecorder = { ...rp, port, codec, file, sdpFile };
    const deadline = Date.now() + 10_000;
    while (!(await udpPortBound(port))) {
      if (rp.proc.exitCode !== null || Date.now() > deadline) {
        await this.#discard(warm);
        throw new Error(`warm recorder did not bind 127.0.0.1:${port}: ${rp.stderr().trim().slice(0, 200)}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return warm;
  }

  /** RTCP APP to every idle recorder's RTCP port: a packet the demuxer reads and ignores. */
  #keepalive(): void {
    const app = Buffer.from([0x80, 204, 0, 2, 0, 0, 0, 1, 0x72, 0x76, 0x77, 0x6b]); // V=2, APP, len 2, SSRC 1, "rvwk"
    for (const list of this.#warm.values()) for (const w of list) this.#socket.send(app, w.port + 1, '127.0.0.1');
  }

  async #discard(w: WarmRecorder): Promise<void> {
    if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
    await w.exited;
    await rm(w.sdpFile, { force: true });
    await rm(w.file, { force: true });
  }
}
