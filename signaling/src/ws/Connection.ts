import type { WebSocket } from 'ws';
import type { Principal } from '../auth/Principal.js';
import type { ServerMessage } from '../protocol.js';

/** One authenticated WebSocket and what it has joined. */
export class Connection {
  /** Media session (case id) this socket's peer is in, if any. */
  sessionId: string | undefined;
  /** Stable peer id the client chose (per tab), set on session.join. */
  peerId: string | undefined;
  /** The call (case id) this socket's desk is linked to: a clerk's media comes from its desk. */
  linkedSessionId: string | undefined;
  /** Role in the current session. */
  sessionRole: 'counter' | 'clerk' | undefined;
  /** Cases whose `case.changed`/chat/document notifications this socket receives. */
  readonly caseSubscriptions = new Set<string>();
  /** True once a clerk subscribed to the queues of their items. */
  queueSubscribed = false;
  /** Queues (`servingRegion|itemCode`) in which this counter has a case waiting: its position moves with them. */
  readonly waitingIn = new Set<string>();

  constructor(
    readonly socket: WebSocket,
    /** Who this is; re-checked on revocation. */
    public principal: Principal,
    /** Whose budgets this socket spends (see PrincipalBudgets). */
    readonly principalKey: string,
    /** Hash of the sign-in session the socket was opened with (staff), so logging out ends it. */
    readonly sessionKey?: string,
  ) {}

  /** Sends a message if the socket is open; drops it otherwise (the client resyncs on reconnect). */
  send(message: ServerMessage): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }
}
