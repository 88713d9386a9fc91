import type { CaseNotification } from '../cases/CaseNotification.js';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import type { Route, RouteCaseFacts, Routed, RoutedNotification } from './Route.js';

/** Options for {@link Notifications}. */
export interface NotificationsOptions {
  /** Sends a routed notification to every node (the EventBus). Must not throw. */
  send: (event: Routed) => void;
}

/**
 * The one way a notification leaves a node's code: with its routing hints, over the bus, to the
 * sockets of every node that should hear it (this node's included). Publish only what is
 * committed: a receiver may act on it at once.
 */
export class Notifications {
  readonly #send: (event: Routed) => void;

  constructor(opts: NotificationsOptions) {
    this.#send = opts.send;
  }

  /** Publishes `message` to whoever `route` names, on every node. */
  publish = (message: RoutedNotification, route: Route): void => {
    this.#send({ message, route });
  };

  /** The case service's notifications (its `publish`), routed by the hints they carry. */
  publishCase = (event: CaseNotification): void => {
    if (event.type === 'queue.changed') {
      this.publish(event, { audience: 'queue', servingRegion: event.servingRegion, itemCode: event.itemCode });
      return;
    }
    const facts: RouteCaseFacts = {
      servingRegion: event.servingRegion,
      applicantRegion: event.applicantRegion,
      counterId: event.counterId,
      itemCode: event.itemCode,
      ...(event.clerkId ? { clerkId: event.clerkId } : {}),
    };
    this.publish({ type: 'case.changed', caseId: event.caseId, version: event.version, state: event.state }, { audience: 'case', caseId: event.caseId, case: facts });
  };
}

/** The routing facts of a case record. */
export function routeFactsOf(record: CaseRecord): RouteCaseFacts {
  return {
    servingRegion: record.servingRegion,
    applicantRegion: record.applicantRegion,
    counterId: record.counterId,
    itemCode: record.itemCode,
    ...(record.clerkId ? { clerkId: record.clerkId } : {}),
  };
}
