import WebSocket from 'ws';
import type { RequestPayload, RequestType, ServerNotification } from '@rvw/signaling/protocol';

/** A failed request: the server's stable code and message. */
export class WsRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** A Node WebSocket client of the signaling protocol, authenticated by a cookie, for tests and benches. */
export class WsClient {
  #next = 1;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Every notification received, in order. */
  readonly notifications: ServerNotification[] = [];
  readonly #waiters: { pred: (n: ServerNotification) => boolean; resolve: (n: ServerNotification) => void }[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (raw) => {
      const msg = JSON.parse(String(raw)) as { type: string; id?: number; ok?: boolean; data?: unknown; error?: { code: string; message: string } };
      if (msg.type === 'response' && typeof msg.id === 'number') {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        if (msg.ok) p?.resolve(msg.data);
        else p?.reject(new WsRequestError(msg.error!.code, msg.error!.message));
        return;
      }
      const n = msg as ServerNotification;
      this.notifications.push(n);
      for (const w of [...this.#waiters]) {
        if (w.pred(n)) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve(n);
        }
      }
    });
  }

  /** Connects to `origin`'s /ws with a cookie and the page Origin; resolves after the hello. */
  static async connect(origin: string, cookie: { name: string; value: string }): Promise<WsClient> {
    const socket = new WebSocket(`${origin.replace(/^http/, 'ws')}/ws`, { headers: { origin, cookie: `${cookie.name}=${cookie.value}` } });
    const client = new WsClient(socket);
    // A refused upgrade (401/403) or a dead port fails at once instead of waiting for the hello.
    const refused = new Promise<never>((_, reject) => {
      socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with HTTP ${res.statusCode}`)));
      socket.once('error', reject);
    });
    await Promise.race([client.next((n) => n.type === 'hello', 5000), refused]);
    return client;
  }

  /** Sends a request; resolves with `data` or rejects with WsRequestError. */
  request<T extends RequestType, R = Record<string, unknown>>(type: T, payload: RequestPayload<T>): Promise<R> {
    const id = this.#next++;
    return new Promise<R>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.socket.send(JSON.stringify({ id, type, ...payload }));
    });
  }

  /** The next notification matching `pred` (including one already received and not yet taken). */
  next(pred: (n: ServerNotification) => boolean, timeoutMs = 10_000): Promise<ServerNotification> {
    const seen = this.notifications.find(pred);
    if (seen) {
      this.notifications.splice(this.notifications.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching notification within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push({
        pred,
        resolve: (n) => {
          clearTimeout(timer);
          this.notifications.splice(this.notifications.indexOf(n), 1);
          resolve(n);
        },
      });
    });
  }

  /** Closes the socket. */
  close(): void {
    this.socket.close();
  }
}
