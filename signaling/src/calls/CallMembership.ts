import { AppError } from '../errors/AppError.js';
import type { CallRole } from './CallEvents.js';

/**
 * Who is in which call of this node and in which role, and whose each peer id is: a peer id
 * belongs to the principal that first used it in a session, until the peer leaves.
 */
export class CallMembership {
  /** sessionId → peerId → role */
  readonly #members = new Map<string, Map<string, CallRole>>();
  /** sessionId → peerId → principal key */
  readonly #owners = new Map<string, Map<string, string>>();

  /**
   * Takes a peer id in a session for a principal, or refuses PEER_NOT_OWNED when another principal
   * uses it: a participant who read the other side's peer id from `peers[]` cannot join with it and
   * so evict that side. The same principal reconnecting takes it back.
   */
  claim(sessionId: string, peerId: string, principalKey: string): void {
    let owners = this.#owners.get(sessionId);
    if (!owners) {
      owners = new Map();
      this.#owners.set(sessionId, owners);
    }
    const owner = owners.get(peerId);
    if (owner !== undefined && owner !== principalKey) {
      throw new AppError('PEER_NOT_OWNED', '该终端标识已被其他用户使用，请刷新页面后重试 (peer id belongs to someone else)', 409);
    }
    owners.set(peerId, principalKey);
  }

  /** The peer's role in the call, if it is a member. */
  roleOf(sessionId: string, peerId: string): CallRole | undefined {
    return this.#members.get(sessionId)?.get(peerId);
  }

  /** Makes the peer a member in `role`; true when it was not one before. */
  add(sessionId: string, peerId: string, role: CallRole): boolean {
    let members = this.#members.get(sessionId);
    if (!members) {
      members = new Map();
      this.#members.set(sessionId, members);
    }
    const isNew = !members.has(peerId);
    members.set(peerId, role);
    return isNew;
  }

  /** The other members of the call, as session.join and session.link answer them. */
  others(sessionId: string, peerId: string): { peerId: string; role: CallRole }[] {
    return [...(this.#members.get(sessionId) ?? [])].filter(([p]) => p !== peerId).map(([p, r]) => ({ peerId: p, role: r }));
  }

  /**
   * Removes the peer (membership and claim). `wasMember` says whether it was a member; `empty`
   * that it was the last one, after which the call is forgotten altogether.
   */
  remove(sessionId: string, peerId: string): { wasMember: boolean; empty: boolean } {
    const members = this.#members.get(sessionId);
    const wasMember = !!members?.delete(peerId);
    this.#owners.get(sessionId)?.delete(peerId);
    const empty = !!members && members.size === 0;
    if (empty) this.forget(sessionId);
    return { wasMember, empty };
  }

  /** True when nobody on this node is a member of the call. */
  isEmpty(sessionId: string): boolean {
    return !this.#members.get(sessionId)?.size;
  }

  /** Forgets the call's members and claims (it ended). */
  forget(sessionId: string): void {
    this.#members.delete(sessionId);
    this.#owners.delete(sessionId);
  }

  /** The peers a principal holds, in every call of this node: for its budget of RTC ports. */
  *peersOf(principalKey: string): Generator<{ sessionId: string; peerId: string }> {
    for (const [sessionId, owners] of this.#owners) {
      for (const [peerId, owner] of owners) if (owner === principalKey) yield { sessionId, peerId };
    }
  }
}
