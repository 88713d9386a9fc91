import { randomUUID } from 'node:crypto';
import type { Logger } from '../observability/logger.js';
import type { RedisClient } from '../store/redisClient.js';
import { authKeys } from './authKeys.js';

/** A principal lost its access: close its WebSocket connections now. */
export type RevocationEvent =
  | { kind: 'staff'; staffId: string; reason: 'staff.disabled' | 'credential.revoked'; credentialId?: string }
  | { kind: 'counter'; counterId: string; reason: 'counter.revoked' }
  /** One sign-in session ended (logout): `sessionKey` is the hash of its cookie, never the cookie. */
  | { kind: 'session'; sessionKey: string; reason: 'session.logout' };

/** Listener for {@link RevocationBus.onPrincipalRevoked}. */
export type RevocationListener = (event: RevocationEvent) => void;

/**
 * Announces revocations: listeners on this node are called synchronously, and the event is
 * published on the Redis channel `auth:revoked` (JSON `{ origin, event }`) so every other node's
 * bus calls its listeners too. Echoes of this node's own messages are ignored.
 */
export class RevocationBus {
  private readonly listeners = new Set<RevocationListener>();
  private readonly nodeId = randomUUID();

  private constructor(
    private readonly redis: RedisClient,
    private readonly logger: Logger,
    private subscriber: RedisClient | undefined,
  ) {}

  /** Creates the bus; with `subscribe` (default true) it also listens on a dedicated Redis connection. */
  static async create(opts: { redis: RedisClient; logger: Logger; subscribe?: boolean }): Promise<RevocationBus> {
    const bus = new RevocationBus(opts.redis, opts.logger, undefined);
    if (opts.subscribe !== false) {
      const sub = opts.redis.duplicate();
      sub.on('error', () => undefined);
      await sub.connect();
      await sub.subscribe(authKeys.revokedChannel(), (message) => bus.receive(message));
      bus.subscriber = sub as RedisClient;
    }
    return bus;
  }

  /** Registers a listener for revocations from any node; returns a function that unregisters it. */
  onPrincipalRevoked(listener: RevocationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells local listeners at once and every other node through Redis. */
  async publish(event: RevocationEvent): Promise<void> {
    this.dispatch(event);
    await this.redis.publish(authKeys.revokedChannel(), JSON.stringify({ origin: this.nodeId, event }));
  }

  /** Stops listening on Redis. */
  async close(): Promise<void> {
    const sub = this.subscriber;
    this.subscriber = undefined;
    if (sub) await sub.close().catch(() => sub.destroy());
  }

  private receive(message: string): void {
    try {
      const parsed = JSON.parse(message) as { origin?: string; event?: RevocationEvent };
      if (parsed.origin === this.nodeId || !parsed.event) return;
      this.dispatch(parsed.event);
    } catch {
      this.logger.warn('malformed message on auth:revoked ignored');
    }
  }

  private dispatch(event: RevocationEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (e) {
        this.logger.error({ err: e, kind: event.kind }, 'revocation listener failed');
      }
    }
  }
}
