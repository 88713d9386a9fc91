import type { ErrorCode, WireError } from '../errors.js';
import type { RequestPayload, RequestType, ServerMessage, ServerNotification } from '../messages.js';
import type { ResponseOf } from '../responses.js';

// The protocol package has neither DOM nor Node types; both environments provide these timers.
declare const setTimeout: (fn: () => void, ms: number) => unknown;
declare const clearTimeout: (handle: unknown) => void;

/** Close code of a socket whose sign-in the server ended (logout, revocation, disabled terminal). */
export const REVOKED_CLOSE_CODE = 4003;

/** Close code the client reports for a socket it gave up on because the server stopped answering. */
export const SILENT_CLOSE_CODE = 4008;

/**
 * The part of a WebSocket the client uses: the browser's `WebSocket` and the `ws` package's both
 * fit, so pages, tests and benches speak the protocol through this one client.
 */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: never) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason?: unknown }) => void) | null;
  onerror: ((ev: never) => void) | null;
}

/** `readyState` of an open socket (the same constant in the browser and in `ws`). */
const OPEN = 1;

/** Codes the client itself produces, besides the server's {@link ErrorCode}s. */
export type ClientErrorCode = 'TIMEOUT' | 'DISCONNECTED';

/** A request that failed: the server's stable code (or the client's own) and its message. */
export class SignalError extends Error {
  override readonly name = 'SignalError';

  constructor(
    readonly code: ErrorCode | ClientErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** A notification of one type. */
export type NotificationOf<T extends ServerNotification['type']> = Extract<ServerNotification, { type: T }>;

/** Options for {@link SignalClient}. */
export interface SignalClientOptions {
  url: string;
  /** Opens a socket; default: the environment's global `WebSocket` (browsers). Node passes `ws`. */
  createSocket?: (url: string) => SocketLike;
  /** Called after every (re)connect, before queued requests flow; resume the session here. */
  onOpen?: (reconnect: boolean) => Promise<void> | void;
  onStateChange?: (state: 'connecting' | 'open' | 'closed') => void;
  /** Called when the socket closes, with the server's close code (e.g. 4003 revoked). */
  onClose?: (code: number) => void;
  /** Reconnect after an unexpected close (default true; tests of one connection turn it off). */
  reconnect?: boolean;
  requestTimeoutMs?: number;
  /**
   * Ask the server after each open which nodes serve this client's region (`cluster.nodes`) and,
   * when `url` cannot be reached, try those in turn: a node that dies hands its clients to the
   * region's others (default false).
   */
  discoverNodes?: boolean;
  /** An attempt not open after this long is abandoned for the next candidate (default 4000 ms). */
  connectTimeoutMs?: number;
  /**
   * After this long without a message from the server, ask it (`ping`); no answer within the same
   * time and the socket is given up as dead (reported with {@link SILENT_CLOSE_CODE}) and the
   * client reconnects. A host that died without closing its TCP connections (power, a cut line)
   * is otherwise noticed only by TCP, after minutes. Default: off (tests and benches with
   * thousands of sockets); the pages turn it on.
   */
  heartbeatMs?: number;
}

type Listener = (n: ServerNotification) => void;

/**
 * The one client of the signaling protocol: typed requests (`request('case.get', …)` resolves to
 * `ResponseOf<'case.get'>`), typed notifications, and reconnection with exponential backoff
 * (0.25 s doubling to 5 s, with jitter) that stops when the server ended the sign-in (4003).
 */
export class SignalClient {
  #ws: SocketLike | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: unknown }>();
  readonly #listeners = new Set<Listener>();
  #attempt = 0;
  #stopped = false;
  #everOpened = false;
  #openWaiters: (() => void)[] = [];
  /** Where this client may connect: the current URL first, then the region's other nodes. */
  #urls: string[];
  #current = 0;
  /** Candidates that failed since the last open: once all have, the backoff grows. */
  #failedInRound = 0;
  /** When the current socket last brought a message (heartbeat). */
  #lastMessageAt = 0;
  readonly #o: SignalClientOptions;
  readonly #createSocket: (url: string) => SocketLike;

  constructor(options: SignalClientOptions) {
    this.#o = options;
    this.#urls = [options.url];
    this.#createSocket =
      options.createSocket ??
      ((url) => {
        const Ctor = (globalThis as unknown as { WebSocket: new (url: string) => SocketLike }).WebSocket;
        return new Ctor(url);
      });
  }

  /** Connects (and keeps reconnecting until `close()`); resolves on the first open. */
  connect(): Promise<void> {
    this.#open();
    return this.#waitOpen();
  }

  /** The URL this client is connected (or connecting) to. */
  get url(): string {
    return this.#urls[this.#current]!;
  }

  /** The URLs it would try, the current first (see `discoverNodes`). */
  get candidates(): readonly string[] {
    return [...this.#urls.slice(this.#current), ...this.#urls.slice(0, this.#current)];
  }

  /** True while the socket is open. */
  get isOpen(): boolean {
    return this.#ws?.readyState === OPEN;
  }

  /** Sends a request and resolves with its typed `data`, or rejects with a SignalError. */
  async request<K extends RequestType>(type: K, payload: RequestPayload<K>, options: { timeoutMs?: number } = {}): Promise<ResponseOf<K>> {
    if (!this.isOpen) await this.#waitOpen();
    const id = this.#nextId++;
    return new Promise<ResponseOf<K>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new SignalError('TIMEOUT', `请求超时: ${type}`));
      }, options.timeoutMs ?? this.#o.requestTimeoutMs ?? 15000);
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.#ws!.send(JSON.stringify({ id, type, ...payload }));
    });
  }

  /** Subscribes to every server notification; returns an unsubscribe function. */
  onNotification(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Subscribes to notifications of one type; returns an unsubscribe function. */
  on<T extends ServerNotification['type']>(type: T, listener: (n: NotificationOf<T>) => void): () => void {
    return this.onNotification((n) => {
      if (n.type === type) listener(n as NotificationOf<T>);
    });
  }

  /** Resolves with the next notification of `type` that satisfies `match`, or rejects after `timeoutMs`. */
  next<T extends ServerNotification['type']>(type: T, match: (n: NotificationOf<T>) => boolean = () => true, timeoutMs = 10_000): Promise<NotificationOf<T>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new SignalError('TIMEOUT', `等待通知超时: ${type}`));
      }, timeoutMs);
      const off = this.on(type, (n) => {
        if (!match(n)) return;
        clearTimeout(timer);
        off();
        resolve(n);
      });
    });
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
    const ws = this.#createSocket(this.url);
    this.#ws = ws;
    let opened = false;
    // A dead host may not refuse, only stay silent: give up on it and try the next node.
    const giveUp = setTimeout(() => {
      if (!opened && this.#ws === ws) ws.close();
    }, this.#o.connectTimeoutMs ?? 4000);
    ws.onerror = () => undefined;
    ws.onopen = async () => {
      opened = true;
      clearTimeout(giveUp);
      const reconnect = this.#everOpened;
      this.#attempt = 0;
      this.#failedInRound = 0;
      this.#everOpened = true;
      if (this.#o.discoverNodes) void this.#discover();
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
    ws.onmessage = (ev) => {
      this.#lastMessageAt = Date.now();
      this.#onMessage(String(ev.data));
    };
    ws.onclose = (ev) => {
      clearTimeout(giveUp);
      this.#closed(ws, ev.code, opened);
    };
    if (this.#o.heartbeatMs) this.#watch(ws, this.#o.heartbeatMs);
  }

  /**
   * Asks a quiet server whether it is still there (see `heartbeatMs`). A socket given up here is
   * treated as closed at once: closing a dead TCP connection waits for a handshake that never comes.
   */
  #watch(ws: SocketLike, everyMs: number): void {
    const tick = async () => {
      if (this.#ws !== ws || this.#stopped) return;
      if (ws.readyState === OPEN && Date.now() - this.#lastMessageAt >= everyMs) {
        try {
          await this.request('ping', {}, { timeoutMs: everyMs });
        } catch (e) {
          if (this.#ws === ws && e instanceof SignalError && e.code === 'TIMEOUT') {
            ws.onclose = null;
            ws.onmessage = null;
            ws.close(SILENT_CLOSE_CODE, 'server silent');
            this.#closed(ws, SILENT_CLOSE_CODE, true);
            return;
          }
        }
      }
      if (this.#ws === ws) setTimeout(() => void tick(), everyMs / 2);
    };
    this.#lastMessageAt = Date.now();
    setTimeout(() => void tick(), everyMs / 2);
  }

  /** The socket is gone (closed, or given up as silent): pending requests fail, and reconnect. */
  #closed(ws: SocketLike, code: number, opened: boolean): void {
    if (this.#ws !== ws) return;
    // 4003: the server ended this sign-in. Every reconnect would be refused at the upgrade, so
    // stop; the page tells the person what to do.
    if (code === REVOKED_CLOSE_CODE || this.#o.reconnect === false) this.#stopped = true;
    this.#o.onStateChange?.('closed');
    this.#o.onClose?.(code);
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(new SignalError('DISCONNECTED', '连接已断开，正在重连'));
      this.#pending.delete(id);
    }
    if (this.#stopped) return;
    // A socket that dropped is retried where it was (a blip); one that never opened moves on to
    // the next candidate at once, and only a whole round of failures grows the backoff.
    if (!opened && this.#urls.length > 1) {
      this.#current = (this.#current + 1) % this.#urls.length;
      this.#failedInRound++;
      if (this.#failedInRound < this.#urls.length) {
        setTimeout(() => this.#open(), 100);
        return;
      }
      this.#failedInRound = 0;
    }
    const delay = Math.min(5000, 250 * 2 ** this.#attempt) * (0.8 + Math.random() * 0.4);
    this.#attempt++;
    setTimeout(() => this.#open(), delay);
  }

  /** Learns the region's live nodes; the current URL stays first, the page's own node stays known. */
  async #discover(): Promise<void> {
    try {
      const { nodes } = await this.request('cluster.nodes', {});
      const current = this.url;
      this.#urls = [...new Set([current, ...nodes.map((n) => n.url), this.#o.url])];
      this.#current = 0;
    } catch {
      // An older node or a dropped socket: keep what is known; the next open asks again.
    }
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
      clearTimeout(p.timer);
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
