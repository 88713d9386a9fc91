import type { SessionRegistry } from '@rvw/sfu';
import type { CallService } from '../calls/CallService.js';
import type { EventBus } from '../store/EventBus.js';
import type { Hub } from '../ws/Hub.js';

/** Case states after which the case's media session must not live on. */
const CLOSED_STATES: ReadonlySet<string> = new Set(['completed', 'rejected', 'abandoned']);

/** Options for {@link wireNotifications}. */
export interface NotificationWiringOptions {
  bus: EventBus;
  hub: Hub;
  registry: Pick<SessionRegistry, 'get'>;
  calls: Pick<CallService, 'end'>;
}

/** Delivers what any node published on the bus to this node's sockets, and ends calls of closed cases. */
export function wireNotifications(opts: NotificationWiringOptions): void {
  const { bus, hub, registry, calls } = opts;
  bus.onEvent((event) => {
    if (event.type === 'queue.changed') hub.deliver(event);
    else {
      hub.deliver({ type: 'case.changed', caseId: event.caseId, version: event.version, state: event.state });
      // A closed case ends its call on whichever node hosts it: nothing of the applicant keeps
      // streaming (and no clerk audio keeps playing at the counter) once the case is done.
      if (CLOSED_STATES.has(event.state) && registry.get(event.caseId)) calls.end(event.caseId, 'case_closed');
    }
  });
}
