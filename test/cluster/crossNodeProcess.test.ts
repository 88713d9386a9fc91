import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type TestBrowser } from '../harness/browser';
import { collectPageLog, figure, inbound, queueAcceptAndDecode } from '../harness/callPages';
import { withCheckDigit } from '../harness/idNumber';
import { startNodeProcess, type NodeProcess } from '../harness/nodeProcess';
import { startTestNode, type TestNode } from '../harness/testNode';
import { ensureServerBuilt } from '../harness/serverBuild';

// The same call across two nodes, the clerk's node a separate OS process on the production
// entry (`node signaling/dist/main.js`): nothing shared with node A but Redis, the data directory
// (as a region's nodes share storage) and the cluster secret. Only A is looked into; what crosses
// the pipe is read from A's end, and the clerk's node is seen through the registry.
describe('a call spanning two node processes', () => {
  let t: TestNode;
  let b: NodeProcess | undefined;
  let bUrl: string;
  let counterBrowser: TestBrowser;
  let clerkBrowser: TestBrowser;
  let counter: Page;
  let clerk: Page;
  const logs: string[][] = [];

  beforeAll(async () => {
    await ensureServerBuilt();
    t = await startTestNode({ env: { RVW_NODE_ID: 'wujiang-1', RVW_NODE_REGIONS: '320509' } });
    b = await startNodeProcess(t, { nodeId: 'huoqiu-p', regions: '341522' });
    bUrl = b.url;

    const clerkAuth = await t.clerk('341522', ['000117005000', '000117013000', '000117009000'], '霍邱窗口 王敏');
    const counterAuth = await t.counter('wujiang-kyth-01');
    counterBrowser = await launchChromium();
    clerkBrowser = await launchChromium();
    await t.addCookie(counterBrowser.context, counterAuth.cookie);
    await t.addCookie(clerkBrowser.context, clerkAuth.cookie);
    counter = await counterBrowser.context.newPage();
    clerk = await clerkBrowser.context.newPage();
    logs.push(collectPageLog(counter, 'counter'), collectPageLog(clerk, 'clerk'));
    await counter.goto(`${t.node.url}/counter.html`);
    await clerk.goto(`${bUrl}/clerk.html`);
  }, 240_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.log([...logs.flat(), b?.log() ?? ''].join('\n'));
  });

  afterAll(async () => {
    await counterBrowser?.close();
    await clerkBrowser?.close();
    if (b && b.child.exitCode === null) b.kill9();
    await t?.dispose();
  });

  let caseId: string;

  it('queue on A → 受理 on B: both decode, and each track crosses the pipe once', async () => {
    expect(await t.node.cluster.nodes.get('huoqiu-p')).toMatchObject({ nodeId: 'huoqiu-p', regions: ['341522'], origin: bUrl });
    await queueAcceptAndDecode(counter, clerk, { name: '陈建国', idNumber: withCheckDigit('32058419580312123') });
    caseId = await counter.evaluate(() => (window as unknown as { rvw: { state: { caseView: { id: string } } } }).rvw.state.caseView.id);
    const session = t.node.registry.get(caseId)!;
    expect(t.node.cluster.mesh.peersOf(caseId)).toEqual(['huoqiu-p']);
    // A's end: one pipe consumer per counter track (face, 高拍仪, mic), one producer per clerk track (face, mic).
    const pipe = (await t.node.cluster.mesh.pipeTo(caseId, 'huoqiu-p'))!;
    const dump = await pipe.dump();
    expect(dump.consumerIds).toHaveLength(3);
    expect(dump.producerIds).toHaveLength(2);
    expect(session.exportableProducers().map((p) => p.source).sort()).toEqual(['document', 'face', 'mic']);
    // Frames keep coming both ways.
    const [c0, k0] = [await inbound(clerk), await inbound(counter)];
    await new Promise((r) => setTimeout(r, 2000));
    const [c1, k1] = [await inbound(clerk), await inbound(counter)];
    for (const s of ['face', 'document']) expect(figure(c1, s, 'framesDecoded'), `clerk ${s}`).toBeGreaterThan(figure(c0, s, 'framesDecoded') + 5);
    expect(figure(k1, 'face', 'framesDecoded')).toBeGreaterThan(figure(k0, 'face', 'framesDecoded') + 5);
  });

  it('kill -9 of the clerk’s node: it drops out of the registry after its TTL, and A closes its pipe and the tracks it brought', async () => {
    const session = t.node.registry.get(caseId)!;
    expect(session.counts().producers).toBe(5);
    b!.kill9();
    await expect.poll(() => t.node.cluster.nodes.get('huoqiu-p'), { timeout: 15_000 }).toBeUndefined();
    expect((await t.node.cluster.nodes.byRegion('341522')).map((n) => n.nodeId)).toEqual([]);
    await expect.poll(() => t.node.cluster.mesh.peersOf(caseId), { timeout: 15_000 }).toEqual([]);
    // The counter's own three tracks stay (the call waits for the clerk's side to come back).
    await expect.poll(() => session.counts()).toMatchObject({ producers: 3, consumers: 0 });
    expect(session.exportableProducers().map((p) => p.source).sort()).toEqual(['document', 'face', 'mic']);
  });
});
