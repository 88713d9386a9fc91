import type { RequestPayload, RequestType, ServerMessage, ServerNotification, WireError } from '@rvw/signaling/protocol';

/** Close code of a socket whose sign-in the server ended (RegionalNode's auth.onPrincipalRevoked). */
const REVOKED_CLOSE_CODE = 4003;

/** A request that failed with a wire error; `code` is the server's stable code. */
export class SignalError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

type Listener = (n: ServerNotification) => void;

/** Options for {@link SignalClient}. */
export interface SignalClientOptions {
  url: string;
  /** Called after every (re)connect, before queued requests flow; resume the session here. */
  onOpen?: (reconnect: boolean) => Promise<void> | void;
  onStateChange?: (state: 'connecting' | 'open' | 'closed') => void;
  requestTimeoutMs?: number;
}

/**
 * The browser side of the signaling protocol: typed requests with ids, notifications, and
 * reconnection with exponential backoff (0.25 s doubling to 5 s, with jitter).
 */
export class SignalClient {
  #ws: WebSocket | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: number }>();
  readonly #listeners = new Set<Listener>();
  #attempt = 0;
  #stopped = false;
  #everOpened = false;
  #openWaiters: (() => void)[] = [];
  readonly #o: SignalClientOptions;

  constructor(options: SignalClientOptions) {
    this.#o = options;
  }

  /** Connects (and keeps reconnecting until `close()`); resolves on the first open. */
  connect(): Promise<void> {
    this.#open();
    return this.#waitOpen();
  }

  /** True while the socket is open. */
  get isOpen(): boolean {
    return this.#ws?.readyState === WebSocket.OPEN;
  }

  /** Sends a request and resolves with its `data`, or rejects with a SignalError. */
  async request<T extends RequestType, R = unknown>(type: T, payload: RequestPayload<T>): Promise<R> {
    if (!this.isOpen) await this.#waitOpen();
    const id = this.#nextId++;
    return new Promise<R>((resolve, reject) => {
      const timer = window.setTimeout(() => {
        this.#pending.delete(id);
        reject(new SignalError('TIMEOUT', `请求超时: ${type}`));
      }, this.#o.requestTimeoutMs ?? 15000);
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.#ws!.send(JSON.stringify({ id, type, ...payload }));
    });
  }

  /** Subscribes to server notifications; returns an unsubscribe function. */
  onNotification(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Drops the socket without stopping (tests and the network do this); it reconnects. */
  dropForTest(): void {
    this.#ws?.close(4000, 'dropped');
  }

  /** Closes for good. */
  close(): void {
    this.#stopped = true;
    this.#ws?.close(1000, 'bye');
  }

  #waitOpen(): Promise<void> {
    if (this.isOpen && this.#everOpened) return Promise.resolve();
    return new Promise((resolve) => this.#openWaiters.push(resolve));
  }

  #open(): void {
    if (this.#stopped) return;
    this.#o.onStateChange?.('connecting');
    const ws = new WebSocket(this.#o.url);
    this.#ws = ws;
    ws.onopen = async () => {
      const reconnect = this.#everOpened;
      this.#attempt = 0;
      this.#everOpened = true;
      this.#o.onStateChange?.('open');
      const waiters = this.#openWaiters;
      this.#openWaiters = [];
      // Release waiters first so onOpen's own requests can flow, then resume.
      waiters.forEach((w) => w());
      try {
        await this.#o.onOpen?.(reconnect);
      } catch {
        // onOpen handles its own errors; a failed resume is retried on the next reconnect.
      }
    };
    ws.onmessage = (ev) => this.#onMessage(String(ev.data));
    ws.onclose = (ev) => {
      if (this.#ws !== ws) return;
      // 4003: the server ended this sign-in (logout, revocation, a disabled terminal). Every
      // reconnect would be refused at the upgrade, so stop; the page tells the person what to do.
      if (ev.code === REVOKED_CLOSE_CODE) this.#stopped = true;
      this.#o.onStateChange?.('closed');
      for (const [id, p] of this.#pending) {
        window.clearTimeout(p.timer);
        p.reject(new SignalError('DISCONNECTED', '连接已断开，正在重连'));
        this.#pending.delete(id);
      }
      if (this.#stopped) return;
      const delay = Math.min(5000, 250 * 2 ** this.#attempt) * (0.8 + Math.random() * 0.4);
      this.#attempt++;
      window.setTimeout(() => this.#open(), delay);
    };
  }

  #onMessage(raw: string): void {
    let msg: ServerMessage;
    try {
      msg = JSON.parse(raw) as ServerMessage;
    } catch {
      return;
    }
    if (msg.type === 'response') {
      if (msg.id === null || typeof msg.id !== 'number') return;
      const p = this.#pending.get(msg.id);
      if (!p) return;
      this.#pending.delete(msg.id);
      window.clearTimeout(p.timer);
      if (msg.ok) p.resolve(msg.data);
      else p.reject(toError(msg.error));
      return;
    }
    for (const l of this.#listeners) l(msg);
  }
}

function toError(e: WireError): SignalError {
  return new SignalError(e.code, e.message, e.details);
}
