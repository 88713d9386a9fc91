interface Reading<T> {
  running: Promise<T>;
  /** The read the callers who came while `running` was under way wait for. */
  next?: Promise<T>;
}

/**
 * Identical reads asked for at the same moment, done once: a queue change tells every watching
 * clerk page at once, and each page re-reads its queue (1,000 clerks: 1,000 identical reads of
 * the catalogue, the queues and their cases within a few milliseconds). A caller only shares a
 * read that starts after it asked, never one already under way, so no caller gets a list older
 * than the change it was told of; at most one read per key runs, with one more waiting.
 */
export class SharedReads<T> {
  readonly #reads = new Map<string, Reading<T>>();

  /** The result of `read()` for `key`, shared with the callers asking while it waits to start. */
  get(key: string, read: () => Promise<T>): Promise<T> {
    const reading = this.#reads.get(key);
    if (!reading) return this.#start(key, read);
    reading.next ??= reading.running.then(noop, noop).then(() => this.#start(key, read));
    return reading.next;
  }

  #start(key: string, read: () => Promise<T>): Promise<T> {
    const reading: Reading<T> = { running: read() };
    this.#reads.set(key, reading);
    // Settles before `next` starts (registered first), so `next` takes the key over.
    const done = () => {
      if (this.#reads.get(key) === reading) this.#reads.delete(key);
    };
    reading.running.then(done, done);
    return reading.running;
  }
}

function noop(): void {}
