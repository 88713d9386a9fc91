import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RegionalNode } from '@rvw/signaling/app/RegionalNode';
import { nodeChannel, signEnvelope } from '@rvw/signaling/cluster/NodeBus';
import { sessionNodesKey } from '@rvw/signaling/cluster/SessionMesh';
import { NODES_KEY, nodeKey } from '@rvw/signaling/cluster/NodeRegistry';
import { connectRedis } from '@rvw/signaling/store/redisClient';
import { launchChromium, type TestBrowser } from '../harness/browser';
import { acceptAndDecode, collectPageLog, figure, inbound, queueFromCounter, waitForCallMedia, waitForFreshFrames, waitForMedia } from '../harness/callPages';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';

// A call that spans two nodes: two RegionalNodes with their own mediasoup workers and their own
// Redis connections (one redis-server, as a region's nodes share it), a Chromium counter on
// node A (吴江), a Chromium clerk on node B (霍邱). Each side's media lives on its own node; the
// call's two routers are joined by ONE SRTP pipe per node pair, negotiated over the signed node
// bus, and every track crosses it once.
describe('a call spanning two nodes', () => {
  let t: TestNode;
  let a: RegionalNode;
  let b: RegionalNode;
  let counterBrowser: TestBrowser;
  let clerkBrowser: TestBrowser;
  let counter: Page;
  let clerk: Page;
  const logs: string[][] = [];

  beforeAll(async () => {
    t = await startTestNode({ env: { RVW_NODE_ID: 'wujiang-1', RVW_NODE_REGIONS: '320509' } });
    a = t.node;
    b = await t.startSecondNode({ RVW_NODE_ID: 'huoqiu-1', RVW_NODE_REGIONS: '341522' });
    const clerkAuth = await t.clerk('341522', ['000117005000', '000117013000', '000117009000'], '霍邱窗口 王敏');
    const counterAuth = await t.counter('wujiang-kyth-01');
    counterBrowser = await launchChromium();
    clerkBrowser = await launchChromium(['--auto-select-desktop-capture-source=Entire screen', '--auto-accept-this-tab-capture']);
    // Both origins are localhost: the cookies reach either node.
    await t.addCookie(counterBrowser.context, counterAuth.cookie);
    await t.addCookie(clerkBrowser.context, clerkAuth.cookie);
    counter = await counterBrowser.context.newPage();
    clerk = await clerkBrowser.context.newPage();
    logs.push(collectPageLog(counter, 'counter'), collectPageLog(clerk, 'clerk'));
    await counter.goto(`${a.url}/counter.html`);
    await clerk.goto(`${b.url}/clerk.html`);
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.log(logs.flat().join('\n'));
  });

  afterAll(async () => {
    await counterBrowser?.close();
    await clerkBrowser?.close();
    await t?.dispose();
  });

  let caseId: string;

  it('the nodes know each other: ids, regions, separate workers', async () => {
    expect(a.cluster.nodeId).toBe('wujiang-1');
    expect(b.cluster.nodeId).toBe('huoqiu-1');
    expect((await a.cluster.nodes.byRegion('341522')).map((n) => n.nodeId)).toEqual(['huoqiu-1']);
    expect((await b.cluster.nodes.byRegion('320509')).map((n) => n.nodeId)).toEqual(['wujiang-1']);
    const pids = (n: RegionalNode) => n.pool.workers.map((w) => w.pid);
    expect(pids(a).some((p) => pids(b).includes(p))).toBe(false);
    expect(a.redis).not.toBe(b.redis);
  });

  it('queue → 受理: each side decodes the other, every track crossing the one pipe once', async () => {
    await queueFromCounter(counter, { name: '陈建国', idNumber: withCheckDigit('32058419580312123') }, '城乡居民基本养老保险个人账户一次性支付');
    caseId = await counter.evaluate(() => (window as unknown as { rvw: { state: { caseView: { id: string } } } }).rvw.state.caseView.id);
    await clerk.waitForSelector(`#queue tr[data-case="${caseId}"] button.accept`);
    // While the case waits, the clerk's node (its desk watches the queue) opens the call's router
    // and the pipe ahead, and the counter's three (held-back) tracks are across already; the desk
    // gets nothing of them before 受理: its receiving slots stay idle.
    const prepared = async () => (await (await b.cluster.mesh.pipeTo(caseId, 'wujiang-1'))?.dump())?.producerIds.length ?? 0;
    await expect.poll(prepared).toBe(3);
    const deskOnB = b.registry.all().find((s) => s.id.startsWith('desk:'))!;
    expect(deskOnB.idleSlots()).toEqual(['document', 'face', 'mic']);
    // The desk's face and microphone are piped into B's router of the call ahead too, held back:
    // not adopted there (no peer of B's call has them).
    await expect.poll(() => deskOnB.stagedCopies, { timeout: 10_000 }).toBe(2);
    const deskPeer = deskOnB.ownProducers()[0]!.peerId;
    expect(b.registry.get(caseId)!.listProducers().filter((p) => p.peerId === deskPeer)).toEqual([]);
    // The face's copy is sent ahead to A and held there: imported, feeding the queued counter's
    // face slot, so that 受理 needs no node-to-node answer before the clerk's picture starts. It is
    // no peer's track on A, and the microphone stays on B (a staged voice flows into its copy, and
    // must not cross before 受理): A's mic slot waits idle.
    // (The desk counts a staged copy from the moment it is asked for; the call, once it exists.)
    await expect.poll(() => b.registry.get(caseId)!.stagedCopiesHere().map((p) => p.source).sort(), { timeout: 10_000 }).toEqual(['face', 'mic']);
    const stagedOnB = b.registry.get(caseId)!.stagedCopiesHere();
    const faceCopy = stagedOnB.find((p) => p.source === 'face')!.producerId;
    await expect.poll(async () => (await (await a.cluster.mesh.pipeTo(caseId, 'huoqiu-1'))?.dump())?.producerIds ?? [], { timeout: 10_000 }).toEqual([faceCopy]);
    await expect.poll(() => a.registry.get(caseId)!.idleSlots(), { timeout: 10_000 }).toEqual(['mic']);
    expect(a.registry.get(caseId)!.listProducers().filter((p) => p.peerId === deskPeer)).toEqual([]);
    // Nothing of the clerk reaches the counter before 受理: B's pipe from the desk stays paused.
    await new Promise((r) => setTimeout(r, 1000));
    const before = await inbound(counter);
    // (The counter's slot for the clerk's face is there, counted: it has simply received nothing.)
    expect(before.filter((s) => s.source === 'face')).toHaveLength(1);
    expect(before.filter((s) => s.kind === 'video').reduce((n, s) => n + s.framesDecoded, 0)).toBe(0);
    expect(before.reduce((n, s) => n + s.bytesReceived, 0)).toBe(0);
    const deskFace = deskOnB.ownProducers().find((p) => p.source === 'face')!.producerId;
    const askedBefore = await deskOnB.keyframeRequestsSent(deskFace);
    await acceptAndDecode(counter, clerk, `#queue tr[data-case="${caseId}"] button.accept`);
    // 受理 adopted the staged copies (the link made no pipe pair of its own).
    expect(deskOnB.stagedCopies).toBe(0);
    expect(b.registry.get(caseId)!.stagedCopiesHere()).toEqual([]);
    // The clerk's face started across the pipe with ONE keyframe request to the clerk's browser,
    // at 受理, and A's feed, held ready, passed that keyframe on: A's own requests while it waited
    // went nowhere (B's pipe from the desk was paused). A keyframe that found no feed on A was
    // dropped there, and A's request went to the browser as a second one 350 ms later
    // (keyFrameRequestDelay; Chrome ignores a second within 300 ms).
    await new Promise((r) => setTimeout(r, 1000));
    expect((await deskOnB.keyframeRequestsSent(deskFace)) - askedBefore).toBe(1);
    await expectFlowing(2000, ['face', 'document'], ['face']);

    // Each node holds a router of the call; they know each other through Redis (ids only).
    expect(a.registry.get(caseId)).toBeDefined();
    expect(b.registry.get(caseId)).toBeDefined();
    expect((await a.redis.sMembers(sessionNodesKey(caseId))).sort()).toEqual(['huoqiu-1', 'wujiang-1']);
    // Nothing of the pipes (addresses, SRTP keys) is in Redis.
    for (const key of await a.redis.keys('*')) {
      const type = await a.redis.type(key);
      if (type !== 'string') continue;
      const value = (await a.redis.get(key)) ?? '';
      expect(value, key).not.toMatch(/keyBase64|srtpParameters/);
    }
    expect(a.cluster.mesh.peersOf(caseId)).toEqual(['huoqiu-1']);
    expect(b.cluster.mesh.peersOf(caseId)).toEqual(['wujiang-1']);

    // The counter's three tracks cross A→B once each: one pipe consumer per track on A, one pipe
    // producer per track on B (the desk's consumers of them on B come off that one copy); the
    // clerk's two tracks cross B→A the same way.
    const counterTracks = a.registry.get(caseId)!.exportableProducers();
    expect(counterTracks.map((p) => p.source).sort()).toEqual(['document', 'face', 'mic']);
    await expect.poll(() => pipeCounts(), { timeout: 15_000 }).toEqual({ aConsumers: 3, aProducers: 2, bConsumers: 2, bProducers: 3 });
    const pipeA = (await a.cluster.mesh.pipeTo(caseId, 'huoqiu-1'))!;
    const pipeB = (await b.cluster.mesh.pipeTo(caseId, 'wujiang-1'))!;
    expect((await pipeB.dump()).producerIds.sort()).toEqual(counterTracks.map((p) => p.producerId).sort());
    // SRTP on the pipe.
    expect(pipeA.local.srtpParameters?.cryptoSuite).toBeTruthy();
    expect(pipeB.local.srtpParameters?.cryptoSuite).toBeTruthy();
    // On B the counter's tracks feed the clerk's desk (its receiving slots) off the imported copies.
    const desk = b.registry.all().find((s) => s.id.startsWith('desk:'))!;
    expect(desk.idleSlots()).toEqual([]);
    // The counter's peer is no member of B's call and the clerk's none of A's: the imports are
    // not announced again (each node announced its own tracks over the bus).
    expect(a.registry.get(caseId)!.counts()).toMatchObject({ peers: 2, transports: 2, producers: 5, consumers: 2 });
    // The clerk's tracks reached the counter through its receiving slots, as on one node: the
    // imports on A's pipe feed the slots' producers (no consumer of an import was made, no
    // renegotiation at the counter), and the slot producers stand for them.
    const onA = a.registry.get(caseId)!;
    expect(onA.idleSlots()).toEqual([]);
    const imports = (await pipeA.dump()).producerIds;
    expect(imports).toHaveLength(2);
    const clerkTracksOnA = onA.listProducers().filter((p) => !counterTracks.some((c) => c.producerId === p.producerId));
    expect(clerkTracksOnA.map((p) => p.source).sort()).toEqual(['face', 'mic']);
    for (const p of clerkTracksOnA) {
      expect(imports).not.toContain(p.producerId);
      expect(onA.isRemoteProducer(p.producerId)).toBe(true);
    }
    for (const id of imports) {
      expect(onA.hasCopyOf(id)).toBe(true);
      expect(onA.isRemoteProducer(id)).toBe(true);
    }
  });

  it('a router opened ahead that nobody joins or links closes by itself, and leaves the call’s node list', async () => {
    const [ahead, gone] = [`prepared-${randomUUID()}`, `prepared-${randomUUID()}`];
    // Nobody asks again: it closes after its idle time.
    await b.calls.prepare('desk:test:1', [ahead], 400);
    expect(b.registry.get(ahead)).toBeDefined();
    await expect.poll(() => b.redis.sMembers(sessionNodesKey(ahead))).toEqual(['huoqiu-1']);
    await expect.poll(() => b.registry.get(ahead)).toBeUndefined();
    await expect.poll(() => b.redis.sMembers(sessionNodesKey(ahead))).toEqual([]);
    // Two desks want it; it goes when the last of them no longer has it at the head of its queue.
    await b.calls.prepare('desk:test:1', [gone], 60_000);
    await b.calls.prepare('desk:test:2', [gone], 60_000);
    await b.calls.prepare('desk:test:1', [], 60_000);
    expect(b.registry.get(gone)).toBeDefined();
    await b.calls.prepare('desk:test:2', [], 60_000);
    expect(b.registry.get(gone)).toBeUndefined();
  });

  it('a screen share started later crosses too, and stopping it closes its copy on the other node', async () => {
    await clerk.click('#btn-screen');
    await waitForMedia(counter, [{ source: 'screen', kind: 'video' }], 5);
    await expect.poll(() => pipeCounts(), { timeout: 15_000 }).toEqual({ aConsumers: 3, aProducers: 3, bConsumers: 3, bProducers: 3 });
    expect(await counter.locator('#screen-tile').isVisible()).toBe(true);
    await clerk.click('#btn-screen');
    await expect.poll(() => pipeCounts(), { timeout: 15_000 }).toEqual({ aConsumers: 3, aProducers: 2, bConsumers: 2, bProducers: 3 });
    await expect.poll(() => counter.locator('#screen-tile').isVisible(), { timeout: 15_000 }).toBe(false);
    await expectFlowing(1500, ['face', 'document'], ['face']);
  });

  it('a forged or replayed pipe request is refused: no pipe is opened, nothing is answered', async () => {
    const redis = await connectRedis(t.redis.url);
    const before = a.cluster.bus.rejected.length;
    const open = { id: randomUUID(), from: 'evil-1', to: 'wujiang-1', at: Date.now(), kind: 'request' as const, type: 'pipe.open', body: { sessionId: caseId, endpoint: { ip: '127.0.0.1', port: 9 } } };
    await redis.publish(nodeChannel('wujiang-1'), JSON.stringify({ ...open, sig: signEnvelope('a-guess-at-the-cluster-secret-000000000', open) }));
    await redis.publish(nodeChannel('wujiang-1'), JSON.stringify(open));
    // A genuine message of B's replayed: same id from the same node (the signature is right).
    const real = { ...open, id: randomUUID(), from: 'huoqiu-1', type: 'pipe.unproduce', body: { sessionId: caseId, producerId: 'none' } };
    const signed = JSON.stringify({ ...real, sig: signEnvelope('test-cluster-secret-0123456789abcdef', real) });
    await redis.publish(nodeChannel('wujiang-1'), signed);
    await redis.publish(nodeChannel('wujiang-1'), signed);
    await redis.quit();
    await expect.poll(() => a.cluster.bus.rejected.slice(before), { timeout: 15_000 }).toEqual(['bad_signature', 'malformed', 'replayed']);
    expect(a.cluster.mesh.peersOf(caseId)).toEqual(['huoqiu-1']);
    expect(await pipeCounts()).toEqual({ aConsumers: 3, aProducers: 2, bConsumers: 2, bProducers: 3 });
    await expectFlowing(1000, ['face', 'document'], ['face']);
  });

  it('a node taken for gone that heartbeats again gets its pipe back: pictures flow again both ways with no user action', async () => {
    // B misses its heartbeats (a stall under load): its registry entry lapses and A closes its pipe
    // to B (and the tracks that came through it). B's routers were never gone.
    let stalled = true;
    const lapse = (async () => {
      while (stalled) {
        await a.redis.multi().del(nodeKey('huoqiu-1')).zRem(NODES_KEY, 'huoqiu-1').exec();
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await expect.poll(() => a.cluster.mesh.peersOf(caseId), { timeout: 15_000 }).toEqual([]);
    stalled = false;
    await lapse;
    // B heartbeats again: A pipes to it anew, B replaces its stale end, each track crosses once.
    await expect.poll(() => a.cluster.mesh.peersOf(caseId), { timeout: 15_000 }).toEqual(['huoqiu-1']);
    await expect.poll(() => pipeCounts(), { timeout: 15_000 }).toEqual({ aConsumers: 3, aProducers: 2, bConsumers: 2, bProducers: 3 });
    const pipeA = (await a.cluster.mesh.pipeTo(caseId, 'huoqiu-1'))!;
    const pipeB = (await b.cluster.mesh.pipeTo(caseId, 'wujiang-1'))!;
    expect(pipeA.remote?.port).toBe(pipeB.local.port);
    expect(pipeB.remote?.port).toBe(pipeA.local.port);
    expect((await a.redis.sMembers(sessionNodesKey(caseId))).sort()).toEqual(['huoqiu-1', 'wujiang-1']);
    await waitForFreshFrames([
      { page: clerk, sources: ['face', 'document'] },
      { page: counter, sources: ['face'] },
    ]);
    await expectFlowing(1500, ['face', 'document'], ['face']);
  });

  it('the clerk hangs up on B: the call ends on A too, and both routers, the pipe and the Redis entry go', async () => {
    await clerk.click('#btn-hangup');
    // A hears it from B over the node bus and ends its own part: the counter's socket is told there.
    await expect.poll(() => [a.registry.get(caseId), b.registry.get(caseId)], { timeout: 15_000 }).toEqual([undefined, undefined]);
    await expect.poll(() => [a.cluster.mesh.peersOf(caseId), b.cluster.mesh.peersOf(caseId)], { timeout: 15_000 }).toEqual([[], []]);
    await expect.poll(() => a.redis.sMembers(sessionNodesKey(caseId)), { timeout: 15_000 }).toEqual([]);
    // The counter stays on its case (signature, rating) without calling back in.
    await counter.waitForTimeout(1000);
    expect(a.registry.get(caseId)).toBeUndefined();
    expect((await a.cases.getCase(caseId)).state).toBe('in_session');
  });

  it('受理 while the desk’s picture sent ahead is still unanswered on B: the clerk’s face reaches the counter all the same', async () => {
    // B sends the desk's face copy ahead (pipe.stage) as soon as the case waits; A holds it and
    // answers. Here B hears that answer only after 受理 adopted the copy — as when B's event loop is
    // late under load — which once left the copy held on A and paused on B for the whole call.
    const bus = b.cluster.bus;
    const request = bus.request.bind(bus);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let stagesHeld = 0;
    bus.request = async (to: string, type: string, body: unknown) => {
      const answer = await request(to, type, body);
      if (type === 'pipe.stage') {
        stagesHeld++;
        await gate;
      }
      return answer;
    };
    try {
      await counter.goto(`${a.url}/counter.html`);
      await queueFromCounter(counter, { name: '李秀英', idNumber: withCheckDigit('32058419600101456') }, '城乡居民基本养老保险个人账户一次性支付');
      caseId = await counter.evaluate(() => (window as unknown as { rvw: { state: { caseView: { id: string } } } }).rvw.state.caseView.id);
      await clerk.waitForSelector(`#queue tr[data-case="${caseId}"] button.accept`, { timeout: 15_000 });
      // A has the face copy (held, feeding the counter's slot); B waits for its answer.
      await expect.poll(() => stagesHeld, { timeout: 15_000 }).toBe(1);
      const faceCopy = b.registry.get(caseId)!.stagedCopiesHere().find((p) => p.source === 'face')!.producerId;
      await expect.poll(async () => (await (await a.cluster.mesh.pipeTo(caseId, 'huoqiu-1'))?.dump())?.producerIds ?? [], { timeout: 10_000 }).toEqual([faceCopy]);
      await clerk.click(`#queue tr[data-case="${caseId}"] button.accept`);
      // 受理 adopted B's staged copies before the answer came.
      await expect.poll(() => b.registry.get(caseId)?.stagedCopiesHere().length, { timeout: 15_000 }).toBe(0);
      expect(b.registry.get(caseId)!.exportableProducers().map((p) => p.producerId)).toContain(faceCopy);
      release();
      await waitForCallMedia(counter, clerk);
      await expectFlowing(1500, ['face', 'document'], ['face']);
      // The face went across once, as the held copy linked on A: no second import of it.
      await expect.poll(() => pipeCounts(), { timeout: 15_000 }).toEqual({ aConsumers: 3, aProducers: 2, bConsumers: 2, bProducers: 3 });
      expect(a.registry.get(caseId)!.idleSlots()).toEqual([]);
    } finally {
      release();
      bus.request = request;
    }
  });

  async function pipeCounts(): Promise<{ aConsumers: number; aProducers: number; bConsumers: number; bProducers: number }> {
    const pa = await a.cluster.mesh.pipeTo(caseId, 'huoqiu-1');
    const pb = await b.cluster.mesh.pipeTo(caseId, 'wujiang-1');
    const da = (await pa?.dump()) ?? { consumerIds: [], producerIds: [] };
    const db = (await pb?.dump()) ?? { consumerIds: [], producerIds: [] };
    return { aConsumers: da.consumerIds.length, aProducers: da.producerIds.length, bConsumers: db.consumerIds.length, bProducers: db.producerIds.length };
  }

  /** Frame counts rise on each listed video source of both pages over `ms`. */
  async function expectFlowing(ms: number, clerkSources: string[], counterSources: string[]): Promise<void> {
    const [c0, k0] = [await inbound(clerk), await inbound(counter)];
    await new Promise((r) => setTimeout(r, ms));
    const [c1, k1] = [await inbound(clerk), await inbound(counter)];
    for (const s of clerkSources) expect(figure(c1, s, 'framesDecoded'), `clerk ${s}`).toBeGreaterThan(figure(c0, s, 'framesDecoded') + 5);
    for (const s of counterSources) expect(figure(k1, s, 'framesDecoded'), `counter ${s}`).toBeGreaterThan(figure(k0, s, 'framesDecoded') + 5);
  }
});
