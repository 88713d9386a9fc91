import type http from 'node:http';
import type { AuthModule } from '../auth/AuthModule.js';
import { createUpgradeAuthenticator } from '../auth/createUpgradeAuthenticator.js';
import { hashToken } from '../auth/hashToken.js';
import { authorizeNodeAdmission } from '../auth/policy.js';
import { parseCookies } from '../auth/parseCookies.js';
import { isDeskId, type CallService } from '../calls/CallService.js';
import type { CaseService } from '../cases/CaseService.js';
import type { CatalogStore } from '../catalog/CatalogStore.js';
import type { Config } from '../config.js';
import type { Logger } from '../observability/logger.js';
import type { Notifications } from '../notifications/Notifications.js';
import type { Metrics } from '../observability/Metrics.js';
import { forwardCallEvents } from '../ws/callNotifications.js';
import { caseHandlers, type CaseHandlerDeps } from '../ws/handlers/caseHandlers.js';
import { clusterHandlers } from '../ws/handlers/clusterHandlers.js';
import { mediaHandlers } from '../ws/handlers/mediaHandlers.js';
import type { HandlerTable } from '../ws/handlerTypes.js';
import type { Hub } from '../ws/Hub.js';
import { PrincipalBudgets } from '../ws/PrincipalBudgets.js';
import { SignalingServer } from '../ws/SignalingServer.js';
import type { ClerkPresenceWiring } from './clerkPresenceWiring.js';
import { wsUrlOf, type ClusterWiring } from './clusterWiring.js';

/** Options for {@link createSocketEdge}. */
export interface SocketEdgeOptions {
  httpServer: http.Server;
  config: Readonly<Config>;
  logger: Logger;
  metrics: Metrics;
  auth: AuthModule;
  hub: Hub;
  notifications: Notifications;
  cases: CaseService;
  catalog: CatalogStore;
  calls: CallService;
  presence: ClerkPresenceWiring;
  issueDocument: CaseHandlerDeps['issueDocument'];
  /** This node in its cluster: the regions it takes, its region's other nodes. */
  cluster: Pick<ClusterWiring, 'nodeId' | 'regions' | 'siblingOrigins' | 'regionNodes'>;
}

/**
 * The WebSocket endpoint of a node: the handler table (media, case, queue), budgets, metrics,
 * and the sockets a revoked sign-in loses.
 */
export function createSocketEdge(opts: SocketEdgeOptions): SignalingServer {
  const { config, auth, hub, calls, presence, metrics, cluster } = opts;
  // What calls tell their sockets (peers, tracks, hang-ups), as protocol messages.
  forwardCallEvents(calls, { notifications: opts.notifications, hub });
  const handlers: HandlerTable = {
    ...mediaHandlers(calls),
    ...caseHandlers({ cases: opts.cases, catalog: opts.catalog, calls, notifications: opts.notifications, issueDocument: opts.issueDocument }),
    ...clusterHandlers({ regionNodes: (region) => cluster.regionNodes(region), self: { nodeId: cluster.nodeId, url: wsUrlOf(config.http.publicOrigin) } }),
  };
  handlers['queue.subscribe'] = presence.watchQueues(prepareQueued(calls, handlers['queue.subscribe'], opts.logger));
  const signaling = SignalingServer.attach({
    httpServer: opts.httpServer,
    // The node's own upgrade check: besides the configured origins, pages of its region's other
    // nodes (a client whose node died moves here with the page that node served), and only the
    // counters and clerks of the regions it serves.
    authenticate: createUpgradeAuthenticator({
      allowedOrigins: () => [...config.http.allowedOrigins, ...cluster.siblingOrigins()],
      resolvePrincipal: auth.resolvePrincipal,
      admit: (principal) => authorizeNodeAdmission(principal, cluster.regions),
    }),
    hub,
    handlers,
    heartbeatMs: config.ws.heartbeatMs,
    logger: opts.logger,
    onClose: (conn) => {
      calls.onConnectionClosed(conn);
      presence.connectionClosed(conn);
    },
    onRequest: (type, ok, ms) => metrics.observeRequest(type, ok, ms),
    budgets: new PrincipalBudgets(config.budgets),
    onBudgetRefused: (budget) => metrics.budgetRefusals.inc({ budget }),
    sessionKeyOf: (req) => {
      const sid = parseCookies(req.headers.cookie).get(auth.cookies.session);
      return sid ? hashToken(sid) : undefined;
    },
  });
  auth.onPrincipalRevoked((event) => {
    const conns = event.kind === 'staff' ? hub.byStaff(event.staffId) : event.kind === 'counter' ? hub.byCounter(event.counterId) : hub.bySessionKey(event.sessionKey);
    for (const c of conns) {
      c.send({ type: 'auth.revoked', reason: event.reason });
      c.socket.close(4003, 'revoked');
    }
  });
  return signaling;
}

/** How many cases at the head of a desk's queue get their routers opened ahead of an accept. */
const PREPARE_AHEAD = 3;

/**
 * Wraps `queue.subscribe` (a clerk page asks whenever its queue changes): for a desk, the calls
 * at the head of its queue are prepared on this node (CallService.prepare) while the answer goes.
 */
function prepareQueued(calls: CallService, handler: HandlerTable['queue.subscribe'], logger: Logger): HandlerTable['queue.subscribe'] {
  return async (conn, request) => {
    const answer = await handler(conn, request);
    const deskId = conn.sessionId;
    if (deskId && isDeskId(deskId)) {
      const head = answer.cases.slice(0, PREPARE_AHEAD).map((c) => c.caseId);
      void calls.prepare(deskId, head).catch((e: Error) => logger.warn({ err: e.message, cases: head }, 'preparing queued calls failed'));
    }
    return answer;
  };
}
