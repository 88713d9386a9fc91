import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's Prometheus metrics, on a registry of its own (no global default registry, so
 * two nodes in one test process do not collide). Served at GET /metrics.
 */
export class Metrics {
  /** The registry to serialize. */
  readonly registry = new Registry();
  /** Open WebSocket connections. */
  readonly wsConnections = new Gauge({ name: 'rvw_ws_connections', help: 'Open signaling WebSocket connections', registers: [this.registry] });
  /** Handled signaling requests by type and outcome. */
  readonly wsRequests = new Counter({ name: 'rvw_ws_requests_total', help: 'Signaling requests handled', labelNames: ['type', 'ok'] as const, registers: [this.registry] });
  /** Signaling request latency. */
  readonly wsRequestSeconds = new Histogram({
    name: 'rvw_ws_request_seconds',
    help: 'Signaling request handling time',
    labelNames: ['type'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  /** Live media sessions (routers). */
  readonly mediaSessions = new Gauge({ name: 'rvw_media_sessions', help: 'Live media sessions (one router each)', registers: [this.registry] });
  /** Live mediasoup workers. */
  readonly sfuWorkers = new Gauge({ name: 'rvw_sfu_workers', help: 'Live mediasoup worker processes', registers: [this.registry] });
  /** mediasoup worker deaths. */
  readonly sfuWorkerDeaths = new Counter({ name: 'rvw_sfu_worker_deaths_total', help: 'mediasoup workers that died', registers: [this.registry] });
  /** Case operations by kind and outcome. */
  readonly caseOps = new Counter({ name: 'rvw_case_operations_total', help: 'Case use-case invocations', labelNames: ['op', 'ok'] as const, registers: [this.registry] });
  /** Documents issued. */
  readonly documentsIssued = new Counter({ name: 'rvw_documents_issued_total', help: 'Signed documents issued', labelNames: ['type'] as const, registers: [this.registry] });

  /** Requests refused because a principal exceeded one of its budgets (config.budgets), by budget. */
  readonly budgetRefusals = new Counter({ name: 'rvw_budget_refusals_total', help: 'Requests refused by a per-principal budget', labelNames: ['budget'] as const, registers: [this.registry] });

  /**
   * Tracks on the inter-node pipes, per other node: `in` = producers imported from it, `out` =
   * consumers sending to it. Counted at scrape time from the node's pipes (see countPipeTracksWith);
   * one per track per node pair however many watch it, which is what an operator checks.
   */
  readonly pipeTracks: Gauge<'node' | 'direction'> = new Gauge({
    name: 'rvw_pipe_tracks',
    help: 'Tracks on inter-node media pipes, by other node and direction (in: imported, out: sent)',
    labelNames: ['node', 'direction'] as const,
    registers: [this.registry],
    collect: async () => {
      this.pipeTracks.reset();
      for (const c of (await this.#pipeTracks?.()) ?? []) {
        this.pipeTracks.set({ node: c.node, direction: 'in' }, c.in);
        this.pipeTracks.set({ node: c.node, direction: 'out' }, c.out);
      }
    },
  });
  #pipeTracks: (() => Promise<{ node: string; in: number; out: number }[]>) | undefined;

  /** Calls being recorded on this node now, and recorders started ahead and waiting (RecorderPool). */
  readonly recordingsActive: Gauge = new Gauge({
    name: 'rvw_recordings_active',
    help: 'Calls being recorded on this node',
    registers: [this.registry],
    collect: () => this.recordingsActive.set(this.#recordings?.().active ?? 0),
  });
  readonly recordersWarm: Gauge = new Gauge({
    name: 'rvw_recorders_warm',
    help: 'Recorder processes started ahead and listening, ready for a call',
    registers: [this.registry],
    collect: () => this.recordersWarm.set(this.#recordings?.().warm ?? 0),
  });
  readonly recorderProcesses: Gauge = new Gauge({
    name: 'rvw_recorder_processes',
    help: 'Recorder processes writing calls now (a call whose tracks started together needs one)',
    registers: [this.registry],
    collect: () => this.recorderProcesses.set(this.#recordings?.().processes ?? 0),
  });
  readonly recordingSegments = new Counter({ name: 'rvw_recording_segments_total', help: 'Recorded segments closed and kept', registers: [this.registry] });
  readonly recordingFailures = new Counter({ name: 'rvw_recording_failures_total', help: 'Recordings or segments that could not start or be kept', registers: [this.registry] });
  readonly recordingNoConsent = new Counter({ name: 'rvw_recording_no_consent_total', help: 'Calls not recorded because their case carries no recording consent', registers: [this.registry] });
  #recordings: (() => { active: number; warm: number; processes: number }) | undefined;

  /** Case changes committed but not yet copied into the case archive (the outbox's length): its lag. */
  readonly archiveBacklog: Gauge = new Gauge({
    name: 'rvw_archive_backlog',
    help: 'Case changes not yet copied into the case archive (PostgreSQL)',
    registers: [this.registry],
    collect: async () => {
      if (this.#archiveBacklog) this.archiveBacklog.set(await this.#archiveBacklog().catch(() => -1));
    },
  });
  #archiveBacklog: (() => Promise<number>) | undefined;
  readonly archiveCopied = new Counter({ name: 'rvw_archive_cases_copied_total', help: 'Case versions this node copied into the case archive', registers: [this.registry] });
  readonly archiveMoved = new Counter({ name: 'rvw_archive_cases_moved_total', help: 'Finished cases this node moved out of Redis (the archive alone holds them)', registers: [this.registry] });

  constructor(options: { collectDefaults?: boolean } = {}) {
    if (options.collectDefaults !== false) collectDefaultMetrics({ register: this.registry, prefix: 'rvw_' });
  }

  /** Where rvw_pipe_tracks is counted from (the node's cluster wiring). */
  countPipeTracksWith(source: () => Promise<{ node: string; in: number; out: number }[]>): void {
    this.#pipeTracks = source;
  }

  /** Where rvw_recordings_active, rvw_recorders_warm and rvw_recorder_processes are read from (the node's recording wiring). */
  countRecordingsWith(source: () => { active: number; warm: number; processes: number }): void {
    this.#recordings = source;
  }

  /** Where rvw_archive_backlog is read from (the node's archive wiring). */
  countArchiveBacklogWith(source: () => Promise<number>): void {
    this.#archiveBacklog = source;
  }

  /** Records one handled signaling request. */
  observeRequest(type: string, ok: boolean, ms: number): void {
    this.wsRequests.inc({ type, ok: ok ? 'true' : 'false' });
    if (ok) this.wsRequestSeconds.observe({ type }, ms / 1000);
  }
}
