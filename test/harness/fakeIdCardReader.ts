import { execFileSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A card placed on the fake reader. */
export interface SampleCard {
  name: string;
  idNumber: string;
}

/**
 * A stand-in for the ID-card reader vendor's local service (人证核验, #18): the real reader is a USB
 * device outside this machine, its service an HTTP server on the counter terminal's loopback. This
 * one answers the same contract the counter page speaks (web-client/src/pages/counter/IdCardReader.ts,
 * docs/identity.md): `POST /readcard` → `{name, idNumber, photo, sample: true}` for the card placed
 * on it (`place`), `{noCard: true}` with none. Everything it produces says `sample: true` — the pages show it
 * as 样例数据 — and its photo is ffmpeg's test pattern at the chip's 102×126, as BMP (what most
 * readers hand out) unless asked for JPEG. CORS and Chrome's private-network preflight are
 * answered for `allowOrigin`, as a vendor's service must for the node's pages.
 */
export class FakeIdCardReader {
  readonly #server: http.Server;
  #card: SampleCard | undefined;
  /** The origin whose pages may read cards (set once the node's origin is known). */
  allowOrigin = '*';
  /** POSTs answered (reads attempted). */
  reads = 0;
  readonly photo: Buffer;

  private constructor(server: http.Server, photo: Buffer) {
    this.#server = server;
    this.photo = photo;
  }

  static async start(options: { photoFormat?: 'bmp' | 'jpeg' } = {}): Promise<FakeIdCardReader> {
    const codec = options.photoFormat === 'jpeg' ? ['-f', 'mjpeg'] : ['-c:v', 'bmp', '-f', 'image2pipe'];
    const photo = execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=102x126:rate=1', '-frames:v', '1', ...codec, '-']);
    const server = http.createServer();
    const reader = new FakeIdCardReader(server, photo);
    server.on('request', (req, res) => reader.#answer(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return reader;
  }

  /** Where the counter page reaches it (RVW_IDCARD_READER_URL). */
  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/readcard`;
  }

  /** Puts a card on the reader (undefined: takes it off). */
  place(card: SampleCard | undefined): void {
    this.#card = card;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.setHeader('Access-Control-Allow-Origin', this.allowOrigin);
    res.setHeader('Vary', 'Origin');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'Access-Control-Allow-Methods': 'POST', 'Access-Control-Allow-Private-Network': 'true', 'Access-Control-Max-Age': '600' }).end();
      return;
    }
    if (req.method !== 'POST' || req.url !== '/readcard') {
      res.writeHead(405).end();
      return;
    }
    this.reads += 1;
    if (!this.#card) {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ noCard: true }));
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ...this.#card, photo: this.photo.toString('base64'), sample: true }));
  }
}
