import type { WebSocket } from 'ws';
import type { Principal } from '../auth/Principal.js';
import type { ServerMessage } from '@rvw/protocol/messages';

/** A field of a connection that the Hub indexes sockets by. */
export type IndexedField = 'case' | 'session' | 'linked' | 'waiting' | 'queue';

/** Told when an indexed field gains (`present`) or loses a value; the Hub keeps its maps with it. */
export type IndexObserver = (conn: Connection, field: IndexedField, value: string, present: boolean) => void;

/** A set of strings that reports each change (only add/delete/clear mutate a Set). */
class ObservedSet extends Set<string> {
  #onChange: ((value: string, present: boolean) => void) | undefined;

  observe(onChange: (value: string, present: boolean) => void): void {
    this.#onChange = onChange;
  }

  override add(value: string): this {
    if (!this.has(value)) {
      super.add(value);
      this.#onChange?.(value, true);
    }
    return this;
  }

  override delete(value: string): boolean {
    const had = super.delete(value);
    if (had) this.#onChange?.(value, false);
    return had;
  }

  override clear(): void {
    for (const value of [...this]) this.delete(value);
  }
}

/** One authenticated WebSocket and what it has joined. */
export class Connection {
  #sessionId: string | undefined;
  #linkedSessionId: string | undefined;
  #queueSubscribed = false;
  #observer: IndexObserver | undefined;
  /** Stable peer id the client chose (per tab), set on session.join. */
  peerId: string | undefined;
  /** Role in the current session. */
  sessionRole: 'counter' | 'clerk' | undefined;
  /** Cases whose `case.changed`/chat/document notifications this socket receives. */
  readonly caseSubscriptions = new ObservedSet();
  /** Queues (`servingRegion|itemCode`) in which this counter has a case waiting: its position moves with them. */
  readonly waitingIn = new ObservedSet();

  constructor(
    readonly socket: WebSocket,
    /** Who this is; re-checked on revocation. */
    readonly principal: Principal,
    /** Whose budgets this socket spends (see PrincipalBudgets). */
    readonly principalKey: string,
    /** Hash of the sign-in session the socket was opened with (staff), so logging out ends it. */
    readonly sessionKey?: string,
  ) {
    this.caseSubscriptions.observe((value, present) => this.#observer?.(this, 'case', value, present));
    this.waitingIn.observe((value, present) => this.#observer?.(this, 'waiting', value, present));
  }

  /** Media session (case id) this socket's peer is in, if any. */
  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  set sessionId(value: string | undefined) {
    this.#sessionId = this.#move('session', this.#sessionId, value);
  }

  /** The call (case id) this socket's desk is linked to: a clerk's media comes from its desk. */
  get linkedSessionId(): string | undefined {
    return this.#linkedSessionId;
  }

  set linkedSessionId(value: string | undefined) {
    this.#linkedSessionId = this.#move('linked', this.#linkedSessionId, value);
  }

  /** True once a clerk subscribed to the queues of their items. */
  get queueSubscribed(): boolean {
    return this.#queueSubscribed;
  }

  set queueSubscribed(value: boolean) {
    if (value === this.#queueSubscribed) return;
    this.#queueSubscribed = value;
    this.#observer?.(this, 'queue', '', value);
  }

  /**
   * Lets one index (the Hub) follow the indexed fields; it is told the current values at once and
   * every change after. `undefined` detaches it (the socket closed).
   */
  observeIndex(observer: IndexObserver | undefined): void {
    this.#observer = observer;
    if (!observer) return;
    for (const c of this.caseSubscriptions) observer(this, 'case', c, true);
    for (const q of this.waitingIn) observer(this, 'waiting', q, true);
    if (this.#sessionId) observer(this, 'session', this.#sessionId, true);
    if (this.#linkedSessionId) observer(this, 'linked', this.#linkedSessionId, true);
    if (this.#queueSubscribed) observer(this, 'queue', '', true);
  }

  /** Sends a message if the socket is open; drops it otherwise (the client resyncs on reconnect). */
  send(message: ServerMessage): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }

  #move(field: IndexedField, from: string | undefined, to: string | undefined): string | undefined {
    if (from === to) return to;
    if (from) this.#observer?.(this, field, from, false);
    if (to) this.#observer?.(this, field, to, true);
    return to;
  }
}
