import type { Principal } from '../auth/Principal.js';
import type { Budgets } from '../config.js';

/** The key budgets are counted under: one staff member or one counter terminal, whatever its sockets. */
export function principalKey(principal: Principal, remoteAddress: string | undefined): string {
  if (principal.kind === 'staff') return `staff:${principal.staffId}`;
  if (principal.kind === 'counter') return `counter:${principal.counterId}`;
  return `anonymous:${remoteAddress ?? '?'}`;
}

interface Account {
  sockets: number;
  tokens: number;
  lastRefill: number;
}

/**
 * Sockets and the request token bucket of each principal on this node. The bucket is keyed by
 * principal, not by socket, so opening more sockets buys no more requests.
 *
 * Node-local on purpose: a request is answered by the node holding the socket, and a shared
 * (Redis) bucket would put a round trip in front of every frame. With N nodes a principal could
 * at most spend N budgets — and only by holding sockets on every node, which the socket budget
 * and the load balancer's stickiness (one node per principal) keep small.
 */
export class PrincipalBudgets {
  readonly #accounts = new Map<string, Account>();

  constructor(
    private readonly budgets: Pick<Budgets, 'socketsPerPrincipal' | 'requestsPerSecond' | 'requestBurst'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a socket slot for the principal; false when it already holds its budget of sockets. */
  openSocket(key: string): boolean {
    const account = this.#account(key);
    if (account.sockets >= this.budgets.socketsPerPrincipal) {
      this.#forgetIfIdle(key, account);
      return false;
    }
    account.sockets += 1;
    return true;
  }

  /** Returns a socket slot. */
  closeSocket(key: string): void {
    const account = this.#accounts.get(key);
    if (!account) return;
    account.sockets = Math.max(0, account.sockets - 1);
    this.#forgetIfIdle(key, account);
  }

  /** Token bucket: false when the principal exceeds its request rate (all its sockets together). */
  takeToken(key: string): boolean {
    const account = this.#account(key);
    this.#sweep();
    const now = this.now();
    account.tokens = Math.min(this.budgets.requestBurst, account.tokens + ((now - account.lastRefill) / 1000) * this.budgets.requestsPerSecond);
    account.lastRefill = now;
    if (account.tokens < 1) return false;
    account.tokens -= 1;
    return true;
  }

  /** Principals tracked (for tests: accounts of principals without sockets are dropped). */
  get size(): number {
    return this.#accounts.size;
  }

  #lastSweep = 0;

  /** Now and then, drops the accounts of principals without sockets whose buckets are full again. */
  #sweep(): void {
    const now = this.now();
    if (now - this.#lastSweep < 60_000) return;
    this.#lastSweep = now;
    for (const [key, account] of this.#accounts) this.#forgetIfIdle(key, account);
  }

  #account(key: string): Account {
    let account = this.#accounts.get(key);
    if (!account) {
      account = { sockets: 0, tokens: this.budgets.requestBurst, lastRefill: this.now() };
      this.#accounts.set(key, account);
    }
    return account;
  }

  // A principal with no socket left is forgotten once its bucket would be full again anyway:
  // forgetting it earlier would let reconnecting refill the bucket. Accounts are per authenticated
  // principal, so what stays behind is bounded by the number of staff and terminals.
  #forgetIfIdle(key: string, account: Account): void {
    if (account.sockets > 0) return;
    const refilled = account.tokens + ((this.now() - account.lastRefill) / 1000) * this.budgets.requestsPerSecond;
    if (refilled >= this.budgets.requestBurst) this.#accounts.delete(key);
  }
}
