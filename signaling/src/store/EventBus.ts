import { CaseNotification } from '../cases/CaseNotification.js';
import type { Logger } from '../observability/logger.js';
import type { RedisClient } from './redisClient.js';

/** The Redis channel case notifications travel on between nodes. */
export const EVENTS_CHANNEL = 'rvw:events';

/**
 * Case notifications between regional nodes over Redis pub/sub: each node publishes what its
 * use cases committed and delivers what any node published to its own sockets, so the counter
 * (on its region's node) and the clerk (on theirs) see the same changes.
 */
export class EventBus {
  readonly #listeners = new Set<(e: CaseNotification) => void>();

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
  publish = (event: CaseNotification): void => {
    this.publisher.publish(EVENTS_CHANNEL, JSON.stringify(event)).catch((err: Error) => this.logger.warn({ err: err.message }, 'event publish failed'));
  };

  /** Calls `listener` for every event from any node. */
  onEvent(listener: (e: CaseNotification) => void): () => void {
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
      parsed = CaseNotification.safeParse(JSON.parse(message));
    } catch {
      return;
    }
    if (!parsed.success) {
      this.logger.warn('dropped a malformed event from the bus');
      return;
    }
    for (const l of this.#listeners) l(parsed.data);
  }
}
