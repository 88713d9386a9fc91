import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../audit/canonicalJson.js';
import type { Logger } from '../observability/logger.js';
import type { RedisClient } from '../store/redisClient.js';

/** The pub/sub channel a node receives its node-to-node messages on. */
export const nodeChannel = (nodeId: string): string => `rvw:node:${nodeId}:inbox`;

/** A node-to-node message as it travels; `sig` is HMAC-SHA256 over everything else. */
const Envelope = z.strictObject({
  id: z.string().min(8).max(64),
  from: z.string().min(1).max(64),
  to: z.string().min(1).max(64),
  /** Sent at (ms since the epoch): messages older than the replay window are refused. */
  at: z.number(),
  kind: z.enum(['request', 'response']),
  /** Request type, or the id of the request answered. */
  type: z.string().max(64),
  body: z.unknown(),
  error: z.strictObject({ code: z.string(), message: z.string() }).optional(),
  sig: z.string().regex(/^[0-9a-f]{64}$/),
});
type Envelope = z.infer<typeof Envelope>;

/** Why a message was dropped (counted for tests and metrics). */
export type RejectReason = 'malformed' | 'misaddressed' | 'bad_signature' | 'stale' | 'replayed';

/** A refusal of a node-to-node request, carried back to the asking node. */
export class NodeBusError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Handles one request type; what it returns (or throws) is the answer. */
export type NodeRequestHandler = (body: unknown, from: string) => Promise<unknown>;

/** Options for {@link NodeBus.create}. */
export interface NodeBusOptions {
  redis: RedisClient;
  nodeId: string;
  /** The cluster secret every node signs with. */
  secret: string;
  logger: Logger;
  /** How long a request waits for its answer. */
  timeoutMs?: number;
  /** Messages older (or further in the future) than this are refused as replays. */
  replayWindowMs?: number;
  clock?: () => number;
}

/**
 * Request/response between nodes over Redis pub/sub, addressed to a node id, each message signed
 * with the cluster secret (HMAC-SHA256 over the canonical envelope) and carrying a fresh id and
 * its send time: unsigned, forged, misaddressed, stale or replayed messages are dropped unanswered.
 * Nothing is written to Redis keys: what crosses here (pipe endpoints, SRTP keys) lives only in
 * the two nodes' memory.
 */
export class NodeBus {
  readonly #o: NodeBusOptions;
  readonly #clock: () => number;
  readonly #handlers = new Map<string, NodeRequestHandler>();
  readonly #pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  /** Ids seen inside the replay window, with when they may be forgotten. */
  readonly #seen = new Map<string, number>();
  readonly #rejected: RejectReason[] = [];

  private constructor(
    options: NodeBusOptions,
    private readonly subscriber: RedisClient,
  ) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
  }

  /** Subscribes to this node's inbox on a connection of its own. */
  static async create(options: NodeBusOptions): Promise<NodeBus> {
    const subscriber = options.redis.duplicate();
    subscriber.on('error', () => undefined);
    await subscriber.connect();
    const bus = new NodeBus(options, subscriber);
    await subscriber.subscribe(nodeChannel(options.nodeId), (raw) => void bus.#receive(raw));
    return bus;
  }

  /** This node's id. */
  get nodeId(): string {
    return this.#o.nodeId;
  }

  /** Reasons of the messages dropped so far (oldest first). */
  get rejected(): readonly RejectReason[] {
    return this.#rejected;
  }

  /** Answers requests of `type` with `handler`. */
  handle(type: string, handler: NodeRequestHandler): void {
    this.#handlers.set(type, handler);
  }

  /** Sends a request to one node; resolves with its answer, rejects with its refusal or on timeout. */
  request(to: string, type: string, body: unknown): Promise<unknown> {
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new NodeBusError('NODE_UNREACHABLE', `node ${to} did not answer ${type}`));
      }, this.#o.timeoutMs ?? 5000);
      this.#pending.set(id, { resolve, reject, timer });
      this.#send({ id, from: this.#o.nodeId, to, at: this.#clock(), kind: 'request', type, body }).catch((e: Error) => {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(e);
      });
    });
  }

  /** Closes the inbox; pending requests fail. */
  async close(): Promise<void> {
    for (const [, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(new NodeBusError('NODE_BUS_CLOSED', 'node bus closed'));
    }
    this.#pending.clear();
    this.#handlers.clear();
    await this.subscriber.quit().catch(() => undefined);
  }

  async #send(message: Omit<Envelope, 'sig'>): Promise<void> {
    const signed: Envelope = { ...message, sig: signEnvelope(this.#o.secret, message) };
    await this.#o.redis.publish(nodeChannel(message.to), JSON.stringify(signed));
  }

  #reject(reason: RejectReason): void {
    this.#rejected.push(reason);
    if (this.#rejected.length > 100) this.#rejected.shift();
    this.#o.logger.warn({ reason }, 'dropped a node-to-node message');
  }

  async #receive(raw: string): Promise<void> {
    let parsed;
    try {
      parsed = Envelope.safeParse(JSON.parse(raw));
    } catch {
      return this.#reject('malformed');
    }
    if (!parsed.success) return this.#reject('malformed');
    const m = parsed.data;
    if (m.to !== this.#o.nodeId) return this.#reject('misaddressed');
    const { sig, ...unsigned } = m;
    const expected = Buffer.from(signEnvelope(this.#o.secret, unsigned), 'hex');
    if (!timingSafeEqual(expected, Buffer.from(sig, 'hex'))) return this.#reject('bad_signature');
    const now = this.#clock();
    const window = this.#o.replayWindowMs ?? 30_000;
    if (Math.abs(now - m.at) > window) return this.#reject('stale');
    for (const [id, until] of this.#seen) if (until < now) this.#seen.delete(id);
    const seenKey = `${m.from}/${m.kind}/${m.id}`;
    if (this.#seen.has(seenKey)) return this.#reject('replayed');
    this.#seen.set(seenKey, m.at + window);

    if (m.kind === 'response') {
      const pending = this.#pending.get(m.type);
      if (!pending) return;
      this.#pending.delete(m.type);
      clearTimeout(pending.timer);
      if (m.error) pending.reject(new NodeBusError(m.error.code, m.error.message));
      else pending.resolve(m.body);
      return;
    }
    const handler = this.#handlers.get(m.type);
    let body: unknown = null;
    let error: { code: string; message: string } | undefined;
    if (!handler) error = { code: 'UNKNOWN_REQUEST', message: `no handler for ${m.type}` };
    else {
      try {
        body = (await handler(m.body, m.from)) ?? null;
      } catch (e) {
        error = e instanceof NodeBusError ? { code: e.code, message: e.message } : { code: 'INTERNAL', message: (e as Error).message };
      }
    }
    await this.#send({ id: randomUUID(), from: this.#o.nodeId, to: m.from, at: this.#clock(), kind: 'response', type: m.id, body, ...(error ? { error } : {}) }).catch(
      (e: Error) => this.#o.logger.warn({ err: e.message }, 'node bus answer failed'),
    );
  }
}

/** HMAC-SHA256 (hex) of an envelope without its signature, over a canonical (key-sorted) JSON. */
export function signEnvelope(secret: string, message: Omit<Envelope, 'sig'>): string {
  return createHmac('sha256', secret).update(canonicalJson(message)).digest('hex');
}
