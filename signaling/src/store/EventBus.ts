import { z } from 'zod';
import { Route, ROUTED_TYPES, type Routed, type RoutedNotification } from '../notifications/Route.js';
import type { Logger } from '../observability/logger.js';
import type { RedisClient } from './redisClient.js';

/** The Redis channel notifications travel on between nodes. */
export const EVENTS_CHANNEL = 'rvw:events';

/** A bus message: the route is checked in full; the message by its type (it was built by our own code). */
const BusMessage = z.strictObject({
  message: z.looseObject({ type: z.string().refine((t) => ROUTED_TYPES.has(t)) }),
  route: Route,
});

/**
 * Notifications between regional nodes over Redis pub/sub: each node publishes what its use
 * cases committed, with the route it goes by, and every node (itself included) delivers what
 * any node published to its own sockets. One route for all of them, so a counter on one node
 * and a clerk on another hear the same things.
 */
export class EventBus {
  readonly #listeners = new Set<(e: Routed) => void>();

  private constructor(
    private readonly publisher: RedisClient,
    private readonly subscriber: RedisClient,
    private readonly logger: Logger,
  ) {}

  /** Subscribes a duplicate connection of `redis` to the events channel. */
  static async create(opts: { redis: RedisClient; logger: Logger }): Promise<EventBus> {
    const subscriber = opts.redis.duplicate();
    subscriber.on('error', () => undefined);
    await subscriber.connect();
    const bus = new EventBus(opts.redis, subscriber, opts.logger);
    await subscriber.subscribe(EVENTS_CHANNEL, (message) => bus.#receive(message));
    return bus;
  }

  /** Publishes a committed change; never throws (a lost notification only delays a refresh). */
  publish = (event: Routed): void => {
    this.publisher.publish(EVENTS_CHANNEL, JSON.stringify(event)).catch((err: Error) => this.logger.warn({ err: err.message }, 'event publish failed'));
  };

  /** Calls `listener` for every event from any node. */
  onEvent(listener: (e: Routed) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Closes the subscriber connection. */
  async close(): Promise<void> {
    this.#listeners.clear();
    await this.subscriber.quit().catch(() => undefined);
  }

  #receive(message: string): void {
    let parsed;
    try {
      parsed = BusMessage.safeParse(JSON.parse(message));
    } catch {
      return;
    }
    if (!parsed.success) {
      this.logger.warn('dropped a malformed event from the bus');
      return;
    }
    const event = { message: parsed.data.message as unknown as RoutedNotification, route: parsed.data.route };
    for (const l of this.#listeners) l(event);
  }
}
