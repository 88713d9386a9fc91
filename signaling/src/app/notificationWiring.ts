import type { SessionRegistry } from '@rvw/sfu';
import type { CallService } from '../calls/CallService.js';
import type { EventBus } from '../store/EventBus.js';
import type { Hub } from '../ws/Hub.js';

/** Case states after which the case's media session must not live on. */
const CLOSED_STATES: ReadonlySet<string> = new Set(['completed', 'rejected', 'abandoned']);

/** Options for {@link wireNotifications}. */
export interface NotificationWiringOptions {
  bus: EventBus;
  hub: Pick<Hub, 'route'>;
  registry: Pick<SessionRegistry, 'get'>;
  calls: Pick<CallService, 'end' | 'releaseFormerHolder'>;
}

/**
 * Delivers what any node published on the bus to this node's sockets by its route, ends the
 * call of a closed case on whichever node hosts it, and releases a former holder's desk.
 */
export function wireNotifications(opts: NotificationWiringOptions): void {
  const { bus, hub, registry, calls } = opts;
  bus.onEvent(({ message, route }) => {
    hub.route(message, route);
    // Nothing of the applicant keeps streaming (and no clerk audio keeps playing at the counter)
    // once the case is done.
    if (message.type === 'case.changed' && CLOSED_STATES.has(message.state) && registry.get(message.caseId)) calls.end(message.caseId, 'case_closed');
    // 转办: the desk of a clerk who no longer holds the case leaves its call, on whichever node it is.
    else if (message.type === 'case.changed' && route.audience === 'case') calls.releaseFormerHolder(message.caseId, route.case.clerkId);
  });
}
