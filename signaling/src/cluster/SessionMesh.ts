import { z } from 'zod';
import { MEDIA_SOURCES } from '@rvw/protocol/vocabulary';
import type { MediaSession, PipedProducer, RegionPipe, SessionRegistry } from '@rvw/sfu';
import type { Logger } from '../observability/logger.js';
import type { RedisClient } from '../store/redisClient.js';
import { NodeBusError, type NodeBus } from './NodeBus.js';
import type { NodeRegistry } from './NodeRegistry.js';

/**
 * The nodes holding a router of a session. Only node ids: pipe endpoints and SRTP keys never
 * touch Redis. Expires on its own if every holder dies; a clean close removes its node.
 */
export const sessionNodesKey = (sessionId: string): string => `rvw:session:${sessionId}:nodes`;
const SESSION_NODES_TTL_S = 12 * 3600;

const Endpoint = z.strictObject({
  ip: z.string().min(1).max(255),
  port: z.number().int().min(1).max(65535),
  srtpParameters: z
    .strictObject({ cryptoSuite: z.enum(['AEAD_AES_256_GCM', 'AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32']), keyBase64: z.string().max(128) })
    .optional(),
});
const OpenBody = z.strictObject({ sessionId: z.string().min(1).max(128), endpoint: Endpoint });
const Piped = z.strictObject({
  producerId: z.string().min(1).max(64),
  kind: z.enum(['audio', 'video']),
  // mediasoup checks the RTP parameters itself when the producer is made.
  rtpParameters: z.looseObject({ codecs: z.array(z.unknown()) }),
  paused: z.boolean(),
  appData: z.strictObject({ peerId: z.string().min(1).max(128), source: z.enum(MEDIA_SOURCES) }),
});
const ProduceBody = z.strictObject({ sessionId: z.string().min(1).max(128), producers: z.array(Piped).max(16) });
const IdsBody = z.strictObject({ sessionId: z.string().min(1).max(128), producerIds: z.array(z.string().min(1).max(64)).max(16) });
const StageAnswer = z.strictObject({ fed: z.array(z.string()) });
const LinkAnswer = z.strictObject({ linked: z.array(z.string()) });
const ProducerBody = z.strictObject({ sessionId: z.string().min(1).max(128), producerId: z.string().min(1).max(64) });
const SessionBody = z.strictObject({ sessionId: z.string().min(1).max(128) });
const EndBody = z.strictObject({ sessionId: z.string().min(1).max(128), reason: z.string().max(64) });

/** One pipe between this node's router of a session and another node's. */
interface PipeLink {
  sessionId: string;
  nodeId: string;
  pipe: Promise<RegionPipe>;
  /** Producers sent through it (each once). */
  exported: Set<string>;
  /** Exports run one batch at a time. */
  chain: Promise<void>;
  /** Consumers of what came through it are pushed one batch at a time, after the answer. */
  pushes: Promise<void>;
  /**
   * Desk copies sent ahead of their link (staged here, held there), and whether the far node feeds
   * a receiving slot with one: then its picture starts at the link without waiting for an answer.
   */
  ahead: Map<string, boolean>;
  /** Imports the other node sent ahead through it, held here and answered (it hears if one comes to feed a slot later). */
  held: Set<string>;
}

/** Options for {@link SessionMesh}. */
export interface SessionMeshOptions {
  nodeId: string;
  sessions: SessionRegistry;
  nodes: Pick<NodeRegistry, 'get'>;
  bus: NodeBus;
  redis: RedisClient;
  /** Where this node's pipe ends listen and what they announce. */
  pipe: { listenIp: string; announcedAddress: string | undefined; portRange: { min: number; max: number } };
  /** Sessions that may span nodes (a call); others (a clerk's desk) stay on their node. */
  spans: (sessionId: string) => boolean;
  /** Ends this node's part of a call another node ended (hang-up): its sockets are told there. */
  endCall: (sessionId: string, reason: string) => void;
  logger: Logger;
}

/**
 * Joins the routers that different nodes keep for one call. Each participant's media lives on
 * the node it connected to; when a second node opens a router for a session, it finds the
 * others in Redis (node ids only) and asks each, over the signed node bus, to open ONE pipe per
 * node pair (RegionPipe: PipeTransport, SRTP, RTX/NACK). Each side then sends every producer it
 * has that did not come from the other through that pipe once, whatever the number of
 * consumers on the far side; producers appearing later follow, closing ones close their copy,
 * and a session closing closes the pipe on both nodes. The far node's consumers of the imports
 * are made by that node for its own sockets (ConsumerPush).
 */
export class SessionMesh {
  readonly #o: SessionMeshOptions;
  readonly #links = new Map<string, PipeLink>();
  #closed = false;

  constructor(options: SessionMeshOptions) {
    this.#o = options;
    const { bus, sessions } = options;
    sessions.on('sessioncreated', (session) => {
      if (options.spans(session.id)) void this.#joined(session).catch((e: Error) => options.logger.warn({ err: e.message, sessionId: session.id }, 'session mesh: join failed'));
    });
    bus.handle('pipe.open', (body, from) => this.#onOpen(OpenBody.parse(body), from));
    bus.handle('pipe.produce', (body, from) => this.#onProduce(ProduceBody.parse(body), from));
    bus.handle('pipe.stage', (body, from) => this.#onStage(ProduceBody.parse(body), from));
    bus.handle('pipe.link', async (body, from) => {
      const { sessionId, producerIds } = IdsBody.parse(body);
      const session = this.#o.sessions.get(sessionId);
      if (!session || session.closed || !this.#links.has(linkKey(sessionId, from))) throw new NodeBusError('PIPE_NOT_OPEN', `no pipe of ${sessionId} from ${from}`);
      return { linked: await session.linkHeld(producerIds) };
    });
    bus.handle('pipe.fed', async (body, from) => {
      const { sessionId, producerIds } = IdsBody.parse(body);
      const link = this.#links.get(linkKey(sessionId, from));
      // Not linked yet: it will start at the link at once. Linked already: too late to matter.
      for (const id of producerIds) if (link?.ahead.has(id)) link.ahead.set(id, true);
      return {};
    });
    bus.handle('pipe.unproduce', async (body, from) => {
      const { sessionId, producerId } = ProducerBody.parse(body);
      (await this.#links.get(linkKey(sessionId, from))?.pipe)?.closeImport(producerId);
      return {};
    });
    bus.handle('session.end', async (body) => {
      const { sessionId, reason } = EndBody.parse(body);
      if (sessions.get(sessionId)) options.endCall(sessionId, reason);
      return {};
    });
    bus.handle('pipe.close', async (body, from) => {
      const { sessionId } = SessionBody.parse(body);
      await this.#drop(sessionId, from);
      return {};
    });
  }

  /**
   * A call ended here (hang-up): the other nodes holding it end theirs, so every side's sockets
   * hear session.ended from their own node. An echo finds the session gone here and stops.
   */
  endElsewhere(sessionId: string, reason: string): void {
    for (const nodeId of this.peersOf(sessionId)) {
      void this.#o.bus.request(nodeId, 'session.end', { sessionId, reason }).catch((e: Error) => this.#o.logger.warn({ err: e.message, sessionId, node: nodeId }, 'session mesh: end not delivered'));
    }
  }

  /** This node's end of the pipe of a session to another node, once open. */
  async pipeTo(sessionId: string, nodeId: string): Promise<RegionPipe | undefined> {
    return this.#links.get(linkKey(sessionId, nodeId))?.pipe.catch(() => undefined);
  }

  /** The other nodes this node pipes a session to. */
  peersOf(sessionId: string): string[] {
    return [...this.#links.values()].filter((l) => l.sessionId === sessionId).map((l) => l.nodeId);
  }

  /**
   * Closes the pipes to nodes gone from the registry (killed, no clean close): the tracks they
   * sent close here with them, so this node's sockets lose their consumers of them. Returns the
   * gone nodes. (Re-forming the call on another node is the handover's job.)
   */
  async dropGone(): Promise<string[]> {
    const gone: string[] = [];
    for (const nodeId of new Set([...this.#links.values()].map((l) => l.nodeId))) {
      if (!(await this.#o.nodes.get(nodeId))) gone.push(nodeId);
    }
    for (const link of [...this.#links.values()]) if (gone.includes(link.nodeId)) await this.#drop(link.sessionId, link.nodeId);
    return gone;
  }

  /**
   * Opens again what a false "gone" closed: a node stalled past the registry TTL (load, a GC pause,
   * a network hiccup) is taken for dead and its pipes dropped (dropGone), but it may heartbeat
   * again with its routers intact. For every spanning session this node holds, it re-registers
   * itself as a holder (the other side may have struck it off meanwhile) and pipes to each live
   * holder it has no pipe to. Returns the number of pipes asked for. Run beside dropGone.
   */
  async rejoin(): Promise<number> {
    const { redis, nodeId } = this.#o;
    let asked = 0;
    for (const session of this.#o.sessions.all()) {
      if (session.closed || !this.#o.spans(session.id)) continue;
      const key = sessionNodesKey(session.id);
      const [, , holders] = await redis.multi().sAdd(key, nodeId).expire(key, SESSION_NODES_TTL_S).sMembers(key).exec();
      for (const other of holders as unknown as string[]) {
        if (other === nodeId || this.#links.has(linkKey(session.id, other)) || session.closed) continue;
        if (!(await this.#o.nodes.get(other))) continue;
        asked += 1;
        this.#o.logger.warn({ sessionId: session.id, node: other }, 'session mesh: piping again to a node back from gone');
        void this.#connect(session, other).catch((e: Error) => this.#o.logger.warn({ err: e.message, sessionId: session.id, node: other }, 'session mesh: pipe failed'));
      }
    }
    return asked;
  }

  /** Closes every pipe (the node stops); the other nodes hear of it. */
  async close(): Promise<void> {
    this.#closed = true;
    const links = [...this.#links.values()];
    await Promise.allSettled(links.map((l) => this.#leave(l)));
  }

  /** A router of a spanning session opened here: register it and pipe it to the other holders. */
  async #joined(session: MediaSession): Promise<void> {
    const { redis, nodeId } = this.#o;
    const key = sessionNodesKey(session.id);
    const [, , holders] = await redis.multi().sAdd(key, nodeId).expire(key, SESSION_NODES_TTL_S).sMembers(key).exec();
    session.on('producernew', (info) => {
      if (session.isRemoteProducer(info.producerId)) return;
      for (const link of this.#linksOf(session.id)) {
        if (link.ahead.has(info.producerId)) this.#linkAhead(session, link, info.producerId);
        this.#export(session, link);
      }
    });
    session.on('copystaged', () => {
      for (const link of this.#linksOf(session.id)) this.#sendAhead(session, link);
    });
    session.on('heldfed', (producerId) => {
      for (const link of this.#linksOf(session.id)) {
        if (!link.held.has(producerId)) continue;
        void this.#o.bus.request(link.nodeId, 'pipe.fed', { sessionId: session.id, producerIds: [producerId] }).catch((e: Error) => this.#o.logger.warn({ err: e.message, sessionId: session.id, node: link.nodeId }, 'session mesh: fed not delivered'));
      }
    });
    session.once('close', () => {
      // A stopping node has left its pipes already (close()).
      if (this.#closed) return;
      void redis.sRem(key, nodeId).catch(() => undefined);
      for (const link of this.#linksOf(session.id)) void this.#leave(link);
    });
    for (const other of (holders as unknown as string[]).filter((n) => n !== nodeId)) {
      // A holder that stopped heartbeating is gone: its routers with it.
      if (!(await this.#o.nodes.get(other))) {
        await redis.sRem(key, other);
        continue;
      }
      void this.#connect(session, other).catch((e: Error) => this.#o.logger.warn({ err: e.message, sessionId: session.id, node: other }, 'session mesh: pipe failed'));
    }
  }

  /** This node asks `nodeId` to join the session's routers. */
  async #connect(session: MediaSession, nodeId: string): Promise<void> {
    const link = this.#link(session, nodeId);
    const pipe = await link.pipe;
    let answer;
    try {
      answer = OpenBody.pick({ endpoint: true }).parse(await this.#o.bus.request(nodeId, 'pipe.open', { sessionId: session.id, endpoint: pipe.local }));
    } catch (e) {
      // That node holds no router of the call (closed meanwhile, or restarted under the same id):
      // it is no holder, and this pipe goes.
      if (e instanceof NodeBusError && e.code === 'SESSION_NOT_HERE') {
        await this.#o.redis.sRem(sessionNodesKey(session.id), nodeId);
        if (this.#links.get(linkKey(session.id, nodeId)) === link) await this.#drop(session.id, nodeId);
      }
      throw e;
    }
    await pipe.connect(answer.endpoint);
    this.#export(session, link);
    this.#sendAhead(session, link);
  }

  /** Another node asks to join a session's routers: this end connects to it and answers its endpoint. */
  async #onOpen(body: z.infer<typeof OpenBody>, from: string): Promise<{ endpoint: z.infer<typeof Endpoint> }> {
    const session = this.#o.sessions.get(body.sessionId);
    if (!session || session.closed || !this.#o.spans(body.sessionId)) throw new NodeBusError('SESSION_NOT_HERE', `no router of ${body.sessionId} on this node`);
    // Our pipe to that node already points elsewhere: it closed its end of it (it took this node
    // for gone, see rejoin) and opens anew. The old pipe carries nothing any more.
    const known = await this.#links.get(linkKey(body.sessionId, from))?.pipe.catch(() => undefined);
    if (known?.connected && !sameEndpoint(known.remote, body.endpoint)) await this.#drop(body.sessionId, from);
    const link = this.#link(session, from);
    const pipe = await link.pipe;
    await pipe.connect(body.endpoint);
    // Sent once the asking node had time to hear the answer; its pipe imports either way.
    setImmediate(() => {
      this.#export(session, link);
      this.#sendAhead(session, link);
    });
    return { endpoint: pipe.local };
  }

  /** Another node sends producers through the pipe: re-create them here, then make the consumers of them. */
  async #onProduce(body: z.infer<typeof ProduceBody>, from: string): Promise<{ imported: string[] }> {
    const session = this.#o.sessions.get(body.sessionId);
    const link = this.#links.get(linkKey(body.sessionId, from));
    if (!session || session.closed || !link) throw new NodeBusError('PIPE_NOT_OPEN', `no pipe of ${body.sessionId} from ${from}`);
    const pipe = await link.pipe;
    // All at once: each import is its own worker requests, and waiting for one before sending the
    // next only adds round trips to the start of the far side's picture.
    const todo = body.producers.filter((piped) => !session.isRemoteProducer(piped.producerId));
    // Held here already (sent ahead, and the asker did not hear our answer): linked, not imported twice.
    const held = todo.filter((piped) => session.isHeld(piped.producerId)).map((piped) => piped.producerId);
    await Promise.all([
      held.length ? session.linkHeld(held) : undefined,
      ...todo.filter((piped) => !held.includes(piped.producerId)).map((piped) => session.importProducer(pipe, piped as PipedProducer, { peerId: piped.appData.peerId, source: piped.appData.source })),
    ]);
    const imported = todo.map((piped) => piped.producerId);
    // The answer goes now: the asking node starts the pictures when it has it, and an import fed
    // into a receiving slot (the queued counter's) is ready for their keyframes. Receivers without
    // a slot get consumers of their own (one batch, one renegotiation per receiver), which ask for
    // a keyframe as they are resumed.
    const peers = new Set(body.producers.map((p) => p.appData.peerId));
    link.pushes = link.pushes
      .then(async () => {
        for (const peerId of peers) if (!session.closed) await session.pushToOthers(peerId);
      })
      .catch((e: Error) => this.#o.logger.warn({ err: e.message, sessionId: body.sessionId, node: from }, 'session mesh: pushing consumers failed'));
    return { imported };
  }

  /** Another node sends its desk's staged copies ahead of the link: held here (see MediaSession.holdImport). */
  async #onStage(body: z.infer<typeof ProduceBody>, from: string): Promise<z.infer<typeof StageAnswer>> {
    const session = this.#o.sessions.get(body.sessionId);
    const link = this.#links.get(linkKey(body.sessionId, from));
    if (!session || session.closed || !link) throw new NodeBusError('PIPE_NOT_OPEN', `no pipe of ${body.sessionId} from ${from}`);
    const pipe = await link.pipe;
    await Promise.all(body.producers.map((piped) => session.holdImport(pipe, piped as PipedProducer, { peerId: piped.appData.peerId, source: piped.appData.source })));
    // Read now, not from each hold: a slot made meanwhile may have been fed (heldfed). From here on
    // a later feed is told to the sender (pipe.fed), which has this answer by then.
    const ids = body.producers.map((p) => p.producerId);
    for (const id of ids) link.held.add(id);
    return { fed: ids.filter((id) => session.heldFeeds(id)) };
  }

  #linksOf(sessionId: string): PipeLink[] {
    return [...this.#links.values()].filter((l) => l.sessionId === sessionId);
  }

  /** The session's pipe to `nodeId`, made if there is none. */
  #link(session: MediaSession, nodeId: string): PipeLink {
    const key = linkKey(session.id, nodeId);
    let link = this.#links.get(key);
    if (!link) {
      const { listenIp, announcedAddress, portRange } = this.#o.pipe;
      const pipe = session.openRegionPipe({ listenIp, announcedAddress, portRange });
      const made: PipeLink = { sessionId: session.id, nodeId, pipe, exported: new Set(), chain: Promise.resolve(), pushes: Promise.resolve(), ahead: new Map(), held: new Set() };
      link = made;
      this.#links.set(key, made);
      pipe.then(
        (p) =>
          p.on('exportclosed', (producerId) => {
            made.exported.delete(producerId);
            made.ahead.delete(producerId);
            // Only on a live link: a dropped one's far end is gone or closed with it, and the same
            // producer may already be crossing a new pipe to that node.
            if (!this.#closed && this.#links.get(key) === made) void this.#o.bus.request(nodeId, 'pipe.unproduce', { sessionId: session.id, producerId }).catch(() => undefined);
          }),
        () => this.#links.delete(key),
      );
    }
    return link;
  }

  /** Sends what the other node lacks through the link's pipe, one batch at a time. */
  #export(session: MediaSession, link: PipeLink): void {
    link.chain = link.chain.then(async () => {
      const pipe = await link.pipe;
      if (session.closed || pipe.closed || !pipe.connected) return;
      const todo = session.exportableProducers().filter((p) => !link.exported.has(p.producerId));
      if (!todo.length) return;
      // Pictures first: they take longest to start.
      todo.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'video' ? -1 : 1));
      const producers = await this.#exportBatch(session, pipe, link, todo);
      if (!producers.length) return;
      // The desk's copies start once the far node has imported them (its answer), not beside the
      // request: starting asks the clerk's browser for a keyframe, and a keyframe that reaches the
      // far node before its import and slot feed exist is dropped there; the import's own request
      // then waits for keyFrameRequestDelay (Chrome ignores a second within 300 ms). Since
      // pictures start at half size the browser answers in 0–100 ms, faster than the far node
      // imports on a busy machine, and that race was lost in about half of the calls
      // (docs/cluster.md, bench:cross-region ABAB 2026-12-07: cost over the same-node start
      // −1/−13 ms started at the answer vs 123/132 ms started beside the request).
      // Started whatever the answer: a refusal leaves the far node without them, not this one.
      try {
        await this.#o.bus.request(link.nodeId, 'pipe.produce', { sessionId: session.id, producers });
      } finally {
        await session.startExported(producers.map((p) => p.producerId));
      }
    }).catch((e: Error) => this.#o.logger.warn({ err: e.message, sessionId: session.id, node: link.nodeId }, 'session mesh: export failed'));
  }

  /**
   * Exports a batch through the link's pipe, all at once (the worker takes them in order), and
   * marks them exported; one closed meanwhile (a screen share stopped) is left out, unmarked.
   */
  async #exportBatch(session: MediaSession, pipe: RegionPipe, link: PipeLink, todo: readonly { producerId: string }[]): Promise<PipedProducer[]> {
    for (const p of todo) link.exported.add(p.producerId);
    const settled = await Promise.allSettled(todo.map((p) => session.exportProducer(pipe, p.producerId)));
    const producers: PipedProducer[] = [];
    settled.forEach((r, i) => {
      if (r.status === 'fulfilled') producers.push(r.value);
      else link.exported.delete(todo[i]!.producerId);
    });
    return producers;
  }

  /**
   * Sends the desk's staged copies of pictures ahead through the link's pipe while the case waits:
   * the far node imports them and feeds the waiting counter's slot (pipe.stage), all off the
   * accept's path. Nothing flows: the desk's pipe into the copy stays paused until the link starts
   * it. Voices are not sent ahead: a staged voice flows into its copy at once, and must not cross
   * to the counter's node before the accept; it goes at the link, where its start costs nothing.
   */
  #sendAhead(session: MediaSession, link: PipeLink): void {
    link.chain = link.chain.then(async () => {
      const pipe = await link.pipe;
      if (session.closed || pipe.closed || !pipe.connected) return;
      const todo = session.stagedCopiesHere().filter((p) => p.kind === 'video' && !link.exported.has(p.producerId));
      if (!todo.length) return;
      const producers = await this.#exportBatch(session, pipe, link, todo);
      if (!producers.length) return;
      try {
        const { fed } = StageAnswer.parse(await this.#o.bus.request(link.nodeId, 'pipe.stage', { sessionId: session.id, producers }));
        // 受理 may have adopted a copy while it was on its way: its producernew found it exported
        // but not yet ahead, and left it. Linked now, or it would stay held there and paused here.
        const adopted = new Set(session.exportableProducers().map((p) => p.producerId));
        for (const p of producers) {
          link.ahead.set(p.producerId, fed.includes(p.producerId));
          if (adopted.has(p.producerId)) this.#linkAhead(session, link, p.producerId);
        }
      } catch (e) {
        // Not held there: they go the usual way at the link (pipe.produce).
        for (const p of producers) link.exported.delete(p.producerId);
        throw e;
      }
    }).catch((e: Error) => this.#o.logger.warn({ err: e.message, sessionId: session.id, node: link.nodeId }, 'session mesh: sending ahead failed'));
  }

  /**
   * A copy sent ahead was adopted (the accept's link): when the far node feeds the counter's slot
   * with it, it starts now — its keyframe finds the feed running there — and the far node makes
   * it the clerk's track (pipe.link) meanwhile. Otherwise it starts once the far node has placed it.
   */
  #linkAhead(session: MediaSession, link: PipeLink, producerId: string): void {
    const fed = link.ahead.get(producerId) === true;
    link.ahead.delete(producerId);
    if (fed) void session.startExported([producerId]);
    link.chain = link.chain.then(async () => {
      let linked: string[] = [];
      try {
        ({ linked } = LinkAnswer.parse(await this.#o.bus.request(link.nodeId, 'pipe.link', { sessionId: session.id, producerIds: [producerId] })));
      } finally {
        if (!fed) await session.startExported([producerId]);
      }
      // Gone there meanwhile: it goes again the usual way.
      if (!linked.includes(producerId) && !session.closed) {
        link.exported.delete(producerId);
        this.#export(session, link);
      }
    }).catch((e: Error) => this.#o.logger.warn({ err: e.message, sessionId: session.id, node: link.nodeId }, 'session mesh: link failed'));
  }

  /** This node's end goes (session closed here, or the node stops): the other end is told. */
  async #leave(link: PipeLink): Promise<void> {
    await this.#drop(link.sessionId, link.nodeId);
    await this.#o.bus.request(link.nodeId, 'pipe.close', { sessionId: link.sessionId }).catch(() => undefined);
  }

  /** Forgets and closes one pipe (what crossed it closes with it). */
  async #drop(sessionId: string, nodeId: string): Promise<void> {
    const key = linkKey(sessionId, nodeId);
    const link = this.#links.get(key);
    if (!link) return;
    this.#links.delete(key);
    (await link.pipe.catch(() => undefined))?.close();
  }
}

const linkKey = (sessionId: string, nodeId: string): string => `${sessionId}|${nodeId}`;

const sameEndpoint = (a: z.infer<typeof Endpoint> | undefined, b: z.infer<typeof Endpoint>): boolean => a?.ip === b.ip && a.port === b.port;
