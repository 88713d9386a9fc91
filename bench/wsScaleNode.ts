/**
 * The node bench/ws-scale.ts measures, in a process of its own: RegionalNode on the environment's
 * configuration as signaling/src/main.ts builds it, except that service hours are not enforced
 * (the bench opens cases at any hour). Spawned with an IPC channel and --expose-gc; it answers
 * `{ type: 'stats' }` with its memory after a full collection, its open sockets and descriptors.
 */
import { readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { RegionalNode } from '@rvw/signaling/app/RegionalNode';
import { loadConfig } from '@rvw/signaling/config';
import { createLogger } from '@rvw/signaling/observability/logger';

/** What the node reports to the bench. */
export interface NodeStats {
  memory: NodeJS.MemoryUsage;
  /** Sockets in the node's Hub. */
  sockets: number;
  /** Open file descriptors of the process. */
  fds: number;
  /** How long each delivery of a queue notification to this node's sockets took, in ms, since the last stats. */
  queueRouteMs: number[];
}

/** Messages from the node to the bench. */
export type NodeMessage = { type: 'ready'; url: string } | ({ type: 'stats' } & NodeStats);

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc || !process.send) throw new Error('wsScaleNode is spawned by bench/ws-scale.ts (IPC channel, --expose-gc)');
const send = (m: NodeMessage) => process.send!(m);

const config = loadConfig();
const node = await RegionalNode.create({
  config,
  ...(config.redisUrl ? { redisUrl: config.redisUrl } : {}),
  logger: createLogger({ level: config.logLevel, destination: process.stderr }),
  enforceServiceHours: false,
});

// Times the Hub's delivery of queue notifications: the node's own share of the fan-out.
let queueRouteMs: number[] = [];
const route = node.hub.route.bind(node.hub);
node.hub.route = (message, to) => {
  const t0 = performance.now();
  route(message, to);
  if (to.audience === 'queue') queueRouteMs.push(performance.now() - t0);
};

process.on('message', (m: { type: string }) => {
  if (m.type === 'stats') {
    void (async () => {
      // Two full collections a moment apart: what is left is what the sockets hold.
      gc();
      await sleep(300);
      gc();
      send({ type: 'stats', memory: process.memoryUsage(), sockets: node.hub.size, fds: readdirSync('/proc/self/fd').length, queueRouteMs });
      queueRouteMs = [];
    })();
  } else if (m.type === 'stop') {
    void node.close().finally(() => process.exit(0));
  }
});
send({ type: 'ready', url: node.url });
