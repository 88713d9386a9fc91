import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { RecorderHost } from './RecorderHost.js';
import type { RecorderCodec } from './recorderSdp.js';
import type { RecorderLogger } from './types.js';

/** Options for {@link RecorderPool}. */
export interface RecorderPoolOptions {
  /** Where warm recorders will write (the node's live recordings directory). */
  dir: string;
  logger: RecorderLogger;
  ffmpegPath?: string;
  /** How often an idle recorder is poked so that its 10 s read timeout never fires (default 3 s). */
  keepaliveMs?: number;
  /**
   * How long after a take its replacement is started (default 3 s): an ffmpeg start costs a
   * second of CPU on a 2-core node, and right at a take it lands on the call's first second —
   * measured with bench:call-setup, the accept's answer took ~0.2 s longer. A second recorder of
   * each shape is kept for a call that comes meanwhile.
   */
  refillDelayMs?: number;
}

/** Recorders of one shape (their m-lines' codecs, in order) to keep listening. */
export interface WarmShape {
  codecs: RecorderCodec[];
  count: number;
}

const codecKey = (c: RecorderCodec): string => `${c.mimeType.toLowerCase()}/${c.payloadType}/${c.clockRate}/${c.channels ?? 1}`;
/** A shape's key: its m-lines' codecs in order. */
const shapeKey = (codecs: readonly RecorderCodec[]): string => codecs.map(codecKey).join('+');

/**
 * Recorder processes started ahead of need. Starting ffmpeg costs a second or more on a loaded
 * 2-core node (five of them at once: ~3 s), so a call recorded by processes spawned at 受理 loses
 * its first seconds. The pool keeps a few of each shape listening — one m-line of a codec (a
 * track that comes alone), or a whole call's tracks in one process (see RecorderHost) — and a
 * track only has to create its consumer. An idle recorder would end itself after the SDP
 * demuxer's 10 s without a packet; an RTCP APP packet to its RTCP ports every few seconds resets
 * that wait and writes nothing (the demuxer ignores APP), so a taken recorder still ends its files
 * after 10 s of silence.
 */
export class RecorderPool {
  readonly #o: RecorderPoolOptions;
  readonly #want = new Map<string, WarmShape>();
  readonly #warm = new Map<string, RecorderHost[]>();
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

  /** Keeps `count` recorders of each shape ready from now on (a later call changes the counts). */
  keepWarm(shapes: WarmShape[]): void {
    if (this.#closed) return;
    for (const w of shapes) this.#want.set(shapeKey(w.codecs), w);
    for (const key of this.#want.keys()) this.#refill(key);
  }

  /** Ready recorders now, of every shape (for metrics and tests). */
  get ready(): number {
    let n = 0;
    for (const list of this.#warm.values()) n += list.length;
    return n;
  }

  /** Process ids of the ready recorders (for CPU accounting by a bench, and tests). */
  get pids(): number[] {
    return [...this.#warm.values()].flat().flatMap((w) => (w.proc.pid === undefined ? [] : [w.proc.pid]));
  }

  /** True when a recorder of exactly this shape is ready now. */
  has(codecs: readonly RecorderCodec[]): boolean {
    return (this.#warm.get(shapeKey(codecs)) ?? []).some((h) => h.running);
  }

  /** A listening recorder of exactly this shape, if one is ready; another is started in its place. */
  take(codecs: readonly RecorderCodec[]): RecorderHost | undefined {
    const key = shapeKey(codecs);
    const list = this.#warm.get(key) ?? [];
    let taken: RecorderHost | undefined;
    while ((taken = list.shift()) !== undefined && !taken.running);
    const delay = this.#o.refillDelayMs ?? 3000;
    if (delay <= 0) this.#refill(key);
    else setTimeout(() => this.#refill(key), delay).unref();
    return taken;
  }

  /** Stops keeping recorders warm and ends the idle ones (nothing was written by them). */
  async drain(): Promise<void> {
    this.#want.clear();
    const idle = [...this.#warm.values()].flat();
    this.#warm.clear();
    await Promise.all(idle.map((w) => w.discard()));
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
      void this.#start(want.codecs)
        .then((w) => {
          if (this.#closed || !this.#want.has(key)) return w.discard();
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
        .catch((e: Error) => this.#o.logger.warn({ err: e.message, shape: key }, 'warm recorder did not start'))
        .finally(() => this.#starting.set(key, (this.#starting.get(key) ?? 1) - 1));
    }
  }

  async #start(codecs: RecorderCodec[]): Promise<RecorderHost> {
    const host = await RecorderHost.spawn({ codecs, dir: this.#o.dir, base: `warm-${Date.now()}-${randomBytes(4).toString('hex')}`, ...(this.#o.ffmpegPath !== undefined ? { ffmpegPath: this.#o.ffmpegPath } : {}) });
    try {
      await host.listening(10_000);
    } catch (e) {
      await host.discard();
      throw e;
    }
    return host;
  }

  /** RTCP APP to every idle recorder's RTCP ports: a packet the demuxer reads and ignores. */
  #keepalive(): void {
    const app = Buffer.from([0x80, 204, 0, 2, 0, 0, 0, 1, 0x72, 0x76, 0x77, 0x6b]); // V=2, APP, len 2, SSRC 1, "rvwk"
    for (const list of this.#warm.values()) for (const w of list) for (const port of w.ports) this.#socket.send(app, port + 1, '127.0.0.1');
  }
}
