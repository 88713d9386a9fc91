import WebSocket from 'ws';
import { SignalClient, SignalError, type SocketLike } from '@rvw/protocol/client/SignalClient';
import type { RequestPayload, RequestType, ServerNotification } from '@rvw/protocol/messages';
import type { ResponseOf } from '@rvw/protocol/responses';

/** A failed request: the server's stable code and message (the protocol client's SignalError). */
export { SignalError as WsRequestError };

/**
 * The protocol's one client (@rvw/protocol/client/SignalClient) on a Node `ws` socket,
 * authenticated by a cookie, for tests and benches: it records every notification so a test can
 * wait for one that already arrived, and exposes the raw socket for tests that cut it.
 */
export class WsClient {
  /** Every notification received and not yet taken by {@link next}, in order. */
  readonly notifications: ServerNotification[] = [];
  readonly #waiters: { pred: (n: ServerNotification) => boolean; resolve: (n: ServerNotification) => void }[] = [];

  private constructor(
    readonly client: SignalClient,
    /** The underlying socket (tests terminate it to simulate a network cut). */
    readonly socket: WebSocket,
  ) {
    client.onNotification((n) => {
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
    let socket: WebSocket | undefined;
    const client = new SignalClient({
      url: `${origin.replace(/^http/, 'ws')}/ws`,
      // One connection per WsClient: a test that cuts it decides what happens next.
      reconnect: false,
      createSocket: (url) => {
        socket = new WebSocket(url, { headers: { origin, cookie: `${cookie.name}=${cookie.value}` } });
        return socket as unknown as SocketLike;
      },
    });
    const opened = client.connect();
    const ws = new WsClient(client, socket!);
    // A refused upgrade (401/403) or a dead port fails at once instead of waiting for the hello.
    const refused = new Promise<never>((_, reject) => {
      socket!.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with HTTP ${res.statusCode}`)));
      socket!.once('error', reject);
    });
    await Promise.race([opened.then(() => ws.next((n) => n.type === 'hello', 15_000)), refused]);
    return ws;
  }

  /** Sends a request; resolves with its typed `data` or rejects with WsRequestError. */
  request<K extends RequestType>(type: K, payload: RequestPayload<K>): Promise<ResponseOf<K>> {
    return this.client.request(type, payload);
  }

  /** The next notification matching `pred` (including one already received and not yet taken). */
  next(pred: (n: ServerNotification) => boolean, timeoutMs = 15_000): Promise<ServerNotification> {
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
    this.client.close();
  }
}
