import WebSocket from 'ws';
import type { RequestPayload, RequestType } from '@rvw/protocol/messages';
import type { ResponseOf } from '@rvw/protocol/responses';

/** A server frame as the tests read it (responses and notifications). */
export interface WsMessage {
  type: string;
  id?: number | string | null;
  ok?: boolean;
  data?: unknown;
  error?: { code: string; message: string; details?: Record<string, unknown> };
  [key: string]: unknown;
}

/** A response frame. */
export interface WsResponse extends WsMessage {
  type: 'response';
  id: number | string | null;
  ok: boolean;
}

/** Why an upgrade was refused: HTTP status and the JSON body the server sent. */
export interface RefusedUpgrade {
  status: number;
  body: { ok?: boolean; error?: { code: string; message: string } } | undefined;
}

/** The `ws://…/ws` URL of a node whose pages are at `origin`. */
export function wsUrlOf(origin: string, path = '/ws'): string {
  return origin.replace(/^http/, 'ws') + path;
}

/**
 * Tries an upgrade that the server should refuse; resolves with the status and JSON body of the
 * refusal, or rejects when the upgrade unexpectedly succeeds.
 */
export function refusedUpgrade(url: string, headers: Record<string, string>, timeoutMs = 5000): Promise<RefusedUpgrade> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('upgrade neither refused nor accepted in time'));
    }, timeoutMs);
    ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        let body: RefusedUpgrade['body'];
        try {
          body = JSON.parse(text) as RefusedUpgrade['body'];
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body });
        ws.terminate();
      });
    });
    ws.on('open', () => {
      clearTimeout(timer);
      ws.close();
      reject(new Error('upgrade was accepted'));
    });
    ws.on('error', (err) => {
      // A destroyed socket (e.g. wrong path) surfaces here; report it as status 0.
      clearTimeout(timer);
      if (err.message.includes('Unexpected server response')) return;
      resolve({ status: 0, body: undefined });
    });
  });
}

/**
 * The attacker's socket: it sends what the protocol's client (@rvw/protocol/client/SignalClient)
 * cannot — frames of unknown types, wrong fields, binary, broken JSON — and reads every frame in
 * arrival order, so tests see exactly what the server answered. Well-formed requests go through
 * {@link call}, typed by the protocol's request/response map like the one client.
 */
export class WsClient {
  readonly inbox: WsMessage[] = [];
  /** Close code once the server closed the socket. */
  closeCode: number | undefined;
  readonly #waiters = new Set<() => void>();
  #nextId = 1;
  #closed: Promise<number>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      try {
        this.inbox.push(JSON.parse(data.toString()) as WsMessage);
      } catch {
        this.inbox.push({ type: '<unparseable>' });
      }
      for (const w of [...this.#waiters]) w();
    });
    this.#closed = new Promise((resolve) => {
      socket.on('close', (code) => {
        this.closeCode = code;
        for (const w of [...this.#waiters]) w();
        resolve(code);
      });
    });
    socket.on('error', () => undefined);
  }

  /** Opens a socket with the given cookie header (and our Origin); resolves after the server's `hello`. */
  static async connect(origin: string, cookie: string, opts: { originHeader?: string } = {}): Promise<WsClient> {
    const socket = new WebSocket(wsUrlOf(origin), { headers: { origin: opts.originHeader ?? origin, cookie } });
    // Listeners first: the server's hello may arrive in the same tick as 'open'.
    const client = new WsClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
    });
    await client.waitFor((m) => m.type === 'hello');
    return client;
  }

  /** True while the socket is open. */
  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Resolves with the close code once the socket is closed. */
  closed(): Promise<number> {
    return this.#closed;
  }

  /**
   * Takes (removes) the first inbox message matching `pred`, waiting up to `timeoutMs` for it.
   * Rejects on timeout or when the socket closes first.
   */
  waitFor<T extends WsMessage = WsMessage>(pred: (m: WsMessage) => boolean, timeoutMs = 15_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const i = this.inbox.findIndex(pred);
        if (i >= 0) {
          const [m] = this.inbox.splice(i, 1);
          done();
          resolve(m as T);
          return;
        }
        if (this.closeCode !== undefined) {
          done();
          reject(new Error(`socket closed (${this.closeCode}) while waiting`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching message within ${timeoutMs} ms; inbox: ${JSON.stringify(this.inbox).slice(0, 500)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Sends a request frame and resolves with its response (ok or not). */
  async request(type: string, fields: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<WsResponse> {
    const id = this.#nextId++;
    this.socket.send(JSON.stringify({ id, type, ...fields }));
    return this.waitFor<WsResponse>((m) => m.type === 'response' && m.id === id, timeoutMs);
  }

  /** A well-formed request (typed by the protocol); throws unless the answer is ok; returns `data`. */
  async call<K extends RequestType>(type: K, fields: RequestPayload<K>): Promise<ResponseOf<K>> {
    const r = await this.request(type, fields as Record<string, unknown>);
    if (!r.ok) throw new Error(`${type} failed: ${JSON.stringify(r.error)}`);
    return r.data as ResponseOf<K>;
  }

  /** Sends an arbitrary frame (text, or binary for a Buffer) and waits for the response with `expectId` (default: null). */
  async raw(frame: string | Buffer, expectId: number | string | null = null, timeoutMs = 10_000): Promise<WsResponse> {
    this.socket.send(frame, { binary: Buffer.isBuffer(frame) });
    return this.waitFor<WsResponse>((m) => m.type === 'response' && m.id === expectId, timeoutMs);
  }

  /** Closes the socket and waits until it is closed. */
  async close(): Promise<void> {
    if (this.closeCode !== undefined) return;
    this.socket.close();
    await Promise.race([this.#closed, new Promise((r) => setTimeout(r, 2000))]);
    if (this.closeCode === undefined) this.socket.terminate();
  }
}
