/** Listener signature of one event of an event map. */
type Listener<Args extends unknown[]> = (...args: Args) => void;

/**
 * A small typed event emitter (LiveKit-client style: `call.on('remoteTrack', (t) => …)`), so a
 * page names the events it handles and the compiler checks their arguments. Node's EventEmitter
 * is not available in the browser bundle.
 */
export class TypedEmitter<Events extends { [K in keyof Events]: unknown[] }> {
  // Keyed by event, so each set holds listeners of that event's arguments only.
  readonly #listeners = new Map<keyof Events, Set<unknown>>();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => this.off(event, listener);
  }

  /** Removes a listener added with {@link on}. */
  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    this.#listeners.get(event)?.delete(listener);
  }

  /** Calls every listener of `event` in the order they were added. */
  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    // A copy: a listener may remove itself while being called.
    for (const l of [...(this.#listeners.get(event) ?? [])]) (l as Listener<Events[K]>)(...args);
  }
}
