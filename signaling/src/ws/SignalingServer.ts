import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { SfuError } from '@rvw/sfu/SfuError';
import type { Principal } from '../auth/Principal.js';
import { DocumentError } from '@rvw/documents';
import { AppError } from '../errors/AppError.js';
import { fromDocumentError } from '../errors/fromDocumentError.js';
import type { Logger } from '../observability/logger.js';
import { MAX_FRAME_BYTES, parseClientFrame, type ClientRequest, type WireError } from '@rvw/protocol/messages';
import { Connection } from './Connection.js';
import { principalKey, type PrincipalBudgets } from './PrincipalBudgets.js';
import type { HandlerTable } from './handlerTypes.js';
import type { Hub } from './Hub.js';

/** Options for {@link SignalingServer.attach}. */
export interface SignalingServerOptions {
  httpServer: HttpServer;
  /** URL path of the WebSocket endpoint. */
  path?: string;
  /** Authenticates the upgrade (Origin allow-list + cookie); throws AppError to refuse. */
  authenticate: (req: IncomingMessage) => Promise<Principal>;
  hub: Hub;
  handlers: HandlerTable;
  /** Called after a connection closed (grace timers, queue bookkeeping). */
  onClose?: (conn: Connection) => void;
  /** Observes each handled request (metrics). */
  onRequest?: (type: string, ok: boolean, ms: number) => void;
  /** Sockets and request rate per principal. */
  budgets: PrincipalBudgets;
  /** Observes each refusal by a budget (metrics): `budget` is the Budgets field's name. */
  onBudgetRefused?: (budget: string) => void;
  /** The sign-in session an upgrade carries (hashed), if any: logout closes that session's sockets. */
  sessionKeyOf?: (req: IncomingMessage) => string | undefined;
  /**
   * Ping every socket this often; one that has not answered the previous ping (nor sent anything
   * since) is terminated, so a peer that died without closing TCP leaves its queue place, presence
   * and grace timers within two intervals instead of TCP's minutes. 0 or absent: off.
   */
  heartbeatMs?: number;
  logger: Logger;
}

/**
 * The WebSocket edge: authenticates the upgrade, validates every frame once against the
 * protocol schemas, dispatches it to exactly one handler, and answers `{ok, data|error}`.
 * Nothing that arrives on a socket can crash the process: every failure becomes a wire error.
 */
export class SignalingServer {
  readonly #wss: WebSocketServer;
  readonly #options: SignalingServerOptions;
  /** Sockets that have not answered (or sent anything) since the last ping. */
  readonly #silent = new WeakSet<WebSocket>();
  #heartbeat: ReturnType<typeof setInterval> | undefined;

  private constructor(options: SignalingServerOptions) {
    this.#options = options;
    // perMessageDeflate off: it costs ~300 KB per socket and signaling frames are small.
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
    if (options.heartbeatMs) {
      // One timer for every socket (not one per socket: 10,000 of them, see bench:ws-scale).
      this.#heartbeat = setInterval(() => this.#pingAll(), options.heartbeatMs);
      this.#heartbeat.unref();
    }
  }

  #pingAll(): void {
    for (const ws of this.#wss.clients) {
      if (this.#silent.has(ws)) {
        this.#options.logger.info('websocket silent since the last ping: terminated');
        ws.terminate();
        continue;
      }
      this.#silent.add(ws);
      ws.ping();
    }
  }

  /** Attaches the WebSocket endpoint to an HTTP(S) server. */
  static attach(options: SignalingServerOptions): SignalingServer {
    const server = new SignalingServer(options);
    options.httpServer.on('upgrade', (req, socket, head) => void server.#upgrade(req, socket, head));
    return server;
  }

  /** Closes every socket (clients will reconnect to whichever node serves them next). */
  close(): void {
    clearInterval(this.#heartbeat);
    for (const ws of this.#wss.clients) ws.terminate();
    this.#wss.close();
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const path = this.#options.path ?? '/ws';
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== path) {
      socket.destroy();
      return;
    }
    let principal: Principal;
    try {
      principal = await this.#options.authenticate(req);
    } catch (e) {
      const err = e instanceof AppError ? e : new AppError('UNAUTHENTICATED', '未登录 (not authenticated)', 401);
      const body = JSON.stringify({ ok: false, error: err.toWire() });
      socket.end(
        `HTTP/1.1 ${err.httpStatus} ${err.httpStatus === 403 ? 'Forbidden' : 'Unauthorized'}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    const key = principalKey(principal, req.socket.remoteAddress);
    if (!this.#options.budgets.openSocket(key)) {
      this.#options.onBudgetRefused?.('socketsPerPrincipal');
      const err = new AppError('BUDGET_EXCEEDED', '同时打开的页面或连接过多，请关闭多余的页面后重试 (too many connections)', 429, { budget: 'socketsPerPrincipal' });
      const body = JSON.stringify({ ok: false, error: err.toWire() });
      socket.end(`HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    // The TCP socket closes whether or not the upgrade completes: the slot is returned either way.
    socket.once('close', () => this.#options.budgets.closeSocket(key));
    const sessionKey = this.#options.sessionKeyOf?.(req);
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onConnection(ws, principal, key, sessionKey));
  }

  #onConnection(ws: WebSocket, principal: Principal, key: string, sessionKey: string | undefined): void {
    const conn = new Connection(ws, principal, key, sessionKey);
    const { hub, logger } = this.#options;
    hub.add(conn);
    conn.send({
      type: 'hello',
      principal:
        principal.kind === 'staff'
          ? { kind: 'staff', role: principal.role, name: principal.name, regionCode: principal.role === 'clerk' ? principal.regionCode : principal.regionCodes[0] }
          : principal.kind === 'counter'
            ? { kind: 'counter', name: principal.name, regionCode: principal.regionCode }
            : { kind: 'anonymous' },
    });
    const alive = () => this.#silent.delete(ws);
    ws.on('pong', alive);
    ws.on('message', (data, isBinary) => {
      alive();
      if (isBinary) {
        conn.send({ type: 'response', id: null, ok: false, error: { code: 'BINARY_NOT_SUPPORTED', message: '仅支持文本 JSON 消息 (binary frames are not accepted)' } });
        return;
      }
      void this.#onFrame(conn, data.toString());
    });
    ws.on('error', (err) => {
      // ws raises on oversized frames (then closes with 1009); log, never crash.
      logger.warn({ err: err.message }, 'websocket error');
    });
    ws.on('close', () => {
      hub.remove(conn);
      this.#options.onClose?.(conn);
    });
  }

  async #onFrame(conn: Connection, raw: string): Promise<void> {
    if (!this.#options.budgets.takeToken(conn.principalKey)) {
      this.#options.onBudgetRefused?.('requestsPerSecond');
      conn.send({ type: 'response', id: null, ok: false, error: { code: 'RATE_LIMITED', message: '请求过于频繁，请稍后再试 (too many requests)', details: { budget: 'requestsPerSecond' } } });
      return;
    }
    const parsed = parseClientFrame(raw);
    if (!parsed.ok) {
      conn.send({ type: 'response', id: parsed.id, ok: false, error: parsed.error });
      this.#options.onRequest?.('invalid', false, 0);
      return;
    }
    const request = parsed.request;
    const started = performance.now();
    try {
      const data = await this.#dispatch(conn, request);
      conn.send({ type: 'response', id: request.id, ok: true, data: data ?? null });
      this.#options.onRequest?.(request.type, true, performance.now() - started);
    } catch (e) {
      const error = toWireError(e);
      if (error.code === 'BUDGET_EXCEEDED') this.#options.onBudgetRefused?.(String(error.details?.budget ?? 'unknown'));
      if (error.code === 'INTERNAL') this.#options.logger.error({ err: e, type: request.type }, 'request failed');
      conn.send({ type: 'response', id: request.id, ok: false, error });
      this.#options.onRequest?.(request.type, false, performance.now() - started);
    }
  }

  #dispatch(conn: Connection, request: ClientRequest): Promise<unknown> {
    // The table has one handler per type; the cast is sound because the key is request.type.
    const handler = this.#options.handlers[request.type] as (c: Connection, r: ClientRequest) => Promise<unknown>;
    return handler(conn, request);
  }
}

/** Maps anything a handler throws to a wire error; internal failures never leak details. */
export function toWireError(e: unknown): WireError {
  if (e instanceof AppError) return e.toWire();
  if (e instanceof DocumentError) return fromDocumentError(e).toWire();
  if (e instanceof SfuError) return e.details ? { code: e.code, message: e.message, details: e.details } : { code: e.code, message: e.message };
  // mediasoup throws TypeError for semantically invalid RTP/DTLS parameters, UnsupportedError for
  // codecs the router lacks, and RangeError when cloning absurd structures.
  if (e instanceof TypeError || e instanceof RangeError || (e instanceof Error && e.name === 'UnsupportedError')) {
    return { code: 'INVALID_MEDIA_PARAMETERS', message: `媒体参数无效 (${e.message.slice(0, 200)})` };
  }
  // mediasoup's InvalidStateError: the object closed while the request was on its way (a page
  // reloading, a hang-up) — an expected race, not a server fault.
  if (e instanceof Error && e.name === 'InvalidStateError') {
    return { code: 'MEDIA_OBJECT_CLOSED', message: '媒体连接已关闭，请刷新页面后重试 (media object closed)' };
  }
  return { code: 'INTERNAL', message: '服务器内部错误，请稍后重试 (internal error)' };
}
