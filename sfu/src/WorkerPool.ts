import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { EnhancedEventEmitter } from 'mediasoup/extras';
import { assertWorkerBinary } from './workerBinary.js';

/** Options for {@link WorkerPool.create}. */
export interface WorkerPoolOptions {
  /** How many mediasoup workers (processes); one per core is the sweet spot. */
  numWorkers: number;
  logLevel?: types.WorkerLogLevel;
  /** Worker log tags (e.g. ice, dtls, srtp) for diagnosing media problems. */
  logTags?: types.WorkerLogTag[];
  /** Replace a worker that died (default true): new sessions keep a full pool. */
  respawn?: boolean;
}

/** Events of a {@link WorkerPool}. */
export type WorkerPoolEvents = {
  /** A worker process died; its routers are closed and were reported through their own events. */
  workerdied: [pid: number, error: Error];
  /** A replacement worker is up. */
  workerrespawned: [pid: number];
};

/**
 * One mediasoup worker per core; routers are placed on the least-loaded worker (fewest routers).
 * A dead worker is replaced so capacity recovers without a restart.
 */
export class WorkerPool extends EnhancedEventEmitter<WorkerPoolEvents> {
  readonly #workers: types.Worker[] = [];
  readonly #routerCount = new Map<types.Worker, number>();
  readonly #options: WorkerPoolOptions;
  /** Replacement workers being started; a router request waits for them rather than failing. */
  readonly #spawning = new Set<Promise<types.Worker>>();
  #closed = false;

  private constructor(options: WorkerPoolOptions) {
    super();
    this.#options = options;
  }

  /** Starts `numWorkers` workers and resolves when all are ready. */
  static async create(options: WorkerPoolOptions): Promise<WorkerPool> {
    assertWorkerBinary();
    const pool = new WorkerPool(options);
    await Promise.all(Array.from({ length: options.numWorkers }, () => pool.#spawn()));
    return pool;
  }

  /** Live workers, for stats and tests. */
  get workers(): readonly types.Worker[] {
    return this.#workers;
  }

  /** Number of routers currently placed on live workers. */
  get routerCount(): number {
    let n = 0;
    for (const c of this.#routerCount.values()) n += c;
    return n;
  }

  /** Creates a router on the least-loaded worker. */
  async createRouter(options: types.RouterOptions): Promise<types.Router> {
    if (this.#closed) throw new Error('worker pool is closed');
    if (this.#workers.length === 0 && this.#spawning.size > 0) await Promise.race(this.#spawning);
    const worker = this.#leastLoaded();
    // Counted before the await: routers asked for at the same moment (a desk and a call, a burst
    // of calls) would otherwise all see the same least-loaded worker and pile onto it.
    this.#routerCount.set(worker, (this.#routerCount.get(worker) ?? 0) + 1);
    const release = () => {
      const n = this.#routerCount.get(worker);
      if (n !== undefined) this.#routerCount.set(worker, n - 1);
    };
    let router: types.Router;
    try {
      router = await worker.createRouter({ ...options, appData: { ...options.appData, workerPid: worker.pid } });
    } catch (error) {
      release();
      throw error;
    }
    router.observer.once('close', release);
    return router;
  }

  /** Closes every worker (and so every router); idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#workers) w.close();
    this.#workers.length = 0;
    this.#routerCount.clear();
  }

  #leastLoaded(): types.Worker {
    let best: types.Worker | undefined;
    let bestCount = Infinity;
    for (const w of this.#workers) {
      const c = this.#routerCount.get(w) ?? 0;
      if (c < bestCount) {
        best = w;
        bestCount = c;
      }
    }
    if (!best) throw new Error('no live mediasoup worker');
    return best;
  }

  async #spawn(): Promise<types.Worker> {
    const worker = await mediasoup.createWorker({
      logLevel: this.#options.logLevel ?? 'warn',
      ...(this.#options.logTags ? { logTags: this.#options.logTags } : {}),
      // Debian 12's liburing is older than the worker's integration expects.
      disableLiburing: true,
    });
    this.#workers.push(worker);
    this.#routerCount.set(worker, 0);
    worker.on('died', (error) => {
      const i = this.#workers.indexOf(worker);
      if (i >= 0) this.#workers.splice(i, 1);
      this.#routerCount.delete(worker);
      this.safeEmit('workerdied', worker.pid, error);
      if (!this.#closed && this.#options.respawn !== false) {
        const spawning = this.#spawn();
        this.#spawning.add(spawning);
        spawning.then(
          (w) => this.safeEmit('workerrespawned', w.pid),
          () => undefined,
        ).finally(() => this.#spawning.delete(spawning));
      }
    });
    return worker;
  }
}
