import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { launchChromium, type TestBrowser } from '../harness/browser';
import { collectPageLog, figure, inbound, queueAcceptAndDecode, socketOf, waitForFreshFrames, wsUrlFor } from '../harness/callPages';
import { withCheckDigit } from '../harness/idNumber';
import { startNodeProcess, type NodeProcess } from '../harness/nodeProcess';
import { startTestNode, type TestNode } from '../harness/testNode';
import { WsClient } from '../harness/wsClient';
import { ensureServerBuilt } from '../harness/serverBuild';

const WUJIANG = '320509';
const HUOQIU = '341522';

// A region with two nodes, and the one under the clerk dies mid-call. Node A (in this process)
// serves 吴江 and holds the counter; 霍邱 runs two node processes, B (which served the clerk's
// page and holds the clerk's socket and media) and B′. `kill -9` of B: the clerk's page moves its
// socket to B′ by itself (it learnt B′ from `cluster.nodes`), its desk and the link to the call
// re-form there, A pipes to B′ and drops the pipe to B, and media flows both ways again; the case
// and its audit chain are as they were.
describe('a node that dies hands its calls over to its region’s other node', () => {
  let t: TestNode;
  let b: NodeProcess | undefined;
  let b2: NodeProcess | undefined;
  let counterBrowser: TestBrowser;
  let clerkBrowser: TestBrowser;
  let counter: Page;
  let clerk: Page;
  const logs: string[][] = [];
  let clerkAuth: Awaited<ReturnType<TestNode['clerk']>>;
  let counterCookie: { name: string; value: string };

  beforeAll(async () => {
    await ensureServerBuilt();
    t = await startTestNode({ env: { RVW_NODE_ID: 'wujiang-1', RVW_NODE_REGIONS: WUJIANG } });
    [b, b2] = await Promise.all([startNodeProcess(t, { nodeId: 'huoqiu-b', regions: HUOQIU }), startNodeProcess(t, { nodeId: 'huoqiu-b2', regions: HUOQIU })]);
    clerkAuth = await t.clerk(HUOQIU, ['000117005000', '000117013000', '000117009000'], '霍邱窗口 王敏');
    counterCookie = (await t.counter('wujiang-kyth-01')).cookie;
    counterBrowser = await launchChromium();
    clerkBrowser = await launchChromium();
    await t.addCookie(counterBrowser.context, counterCookie);
    await t.addCookie(clerkBrowser.context, clerkAuth.cookie);
    counter = await counterBrowser.context.newPage();
    clerk = await clerkBrowser.context.newPage();
    logs.push(collectPageLog(counter, 'counter'), collectPageLog(clerk, 'clerk'));
    await counter.goto(`${t.node.url}/counter.html`);
    await clerk.goto(`${b.url}/clerk.html`);
  }, 240_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.log([...logs.flat(), b?.log() ?? '', b2?.log() ?? ''].join('\n'));
  });

  afterAll(async () => {
    await counterBrowser?.close();
    await clerkBrowser?.close();
    for (const p of [b, b2]) if (p && p.child.exitCode === null) p.kill9();
    await t?.dispose();
  });

  it('a regional node takes only its region’s counters and clerks, and tells each which nodes serve its region', async () => {
    // The 霍邱 clerk on B hears of both 霍邱 nodes; the 吴江 counter on A of A only.
    const onB = await WsClient.connect(b!.url, clerkAuth.cookie);
    const { nodes } = await onB.request('cluster.nodes', {});
    expect(nodes.map((n) => n.url).sort()).toEqual([wsUrlFor(b!.url), wsUrlFor(b2!.url)].sort());
    onB.close();
    const onA = await WsClient.connect(t.node.url, counterCookie);
    expect((await onA.request('cluster.nodes', {})).nodes).toEqual([{ nodeId: 'wujiang-1', url: wsUrlFor(t.node.url) }]);
    onA.close();
    // A 吴江 counter knocking at a 霍邱 node is turned away at the upgrade (its media belongs in 吴江).
    await expect(WsClient.connect(b!.url, counterCookie)).rejects.toThrow('upgrade refused with HTTP 403');
  });

  it('kill -9 of the clerk’s node mid-call: the page moves to B′ by itself, media flows both ways again, the case is intact', async () => {
    await queueAcceptAndDecode(counter, clerk, { name: '陈建国', idNumber: withCheckDigit('32058419580312123') });
    const caseId = await counter.evaluate(() => (window as unknown as { rvw: { state: { caseView: { id: string } } } }).rvw.state.caseView.id);
    expect(t.node.cluster.mesh.peersOf(caseId)).toEqual(['huoqiu-b']);
    // The page learnt the region's other node after connecting.
    await expect.poll(async () => (await socketOf(clerk)).candidates, { timeout: 10_000 }).toContain(wsUrlFor(b2!.url));
    expect((await socketOf(clerk)).url).toBe(wsUrlFor(b!.url));
    const before = await t.node.cases.getCase(caseId);
    const auditBefore = (await t.node.cases.audit(caseId)).events.length;
    const killedAt = Date.now();
    b!.kill9();
    // Both pages decode fresh frames again, with no user action: the clerk the applicant's face and
    // 高拍仪, the counter the clerk's face. The dead path's frames stopped with the node; what its
    // jitter buffers still play is waited out first.
    await new Promise((r) => setTimeout(r, 500));
    await waitForFreshFrames([
      { page: clerk, sources: ['face', 'document'] },
      { page: counter, sources: ['face'] },
    ]);
    const recoveryMs = Date.now() - killedAt;
    console.log(JSON.stringify({ node_kill_recovery_ms: recoveryMs }));

    expect(await socketOf(clerk)).toMatchObject({ url: wsUrlFor(b2!.url), isOpen: true });
    // A forgets B (its registry entry expired) and pipes to B′ only; the call's router on A holds
    // the counter's three tracks and the clerk's two, brought now by B′.
    await expect.poll(() => t.node.cluster.nodes.get('huoqiu-b'), { timeout: 10_000 }).toBeUndefined();
    await expect.poll(() => t.node.cluster.mesh.peersOf(caseId), { timeout: 10_000 }).toEqual(['huoqiu-b2']);
    await expect.poll(() => t.node.registry.get(caseId)?.counts().producers, { timeout: 10_000 }).toBe(5);
    // Frames keep coming (not a last burst): both directions over two seconds.
    await vi.waitFor(
      async () => {
        const [c1, k1] = [await inbound(clerk), await inbound(counter)];
        await clerk.waitForTimeout(2000);
        const [c2, k2] = [await inbound(clerk), await inbound(counter)];
        for (const s of ['face', 'document']) expect(figure(c2, s, 'framesDecoded') - figure(c1, s, 'framesDecoded'), `clerk ${s}`).toBeGreaterThan(10);
        expect(figure(k2, 'face', 'framesDecoded') - figure(k1, 'face', 'framesDecoded'), 'counter face').toBeGreaterThan(10);
        expect(figure(c2, 'mic', 'packetsReceived') - figure(c1, 'mic', 'packetsReceived'), 'clerk hears counter').toBeGreaterThan(50);
      },
      { timeout: 20_000, interval: 0 },
    );
    // The case is as it was: same state and version, and an audit chain that verifies.
    const after = await t.node.cases.getCase(caseId);
    expect({ state: after.state, version: after.version, clerkId: after.clerkId }).toEqual({ state: before.state, version: before.version, clerkId: before.clerkId });
    const audit = await t.node.cases.audit(caseId);
    expect(audit.verdict.ok).toBe(true);
    expect(audit.events.length).toBeGreaterThanOrEqual(auditBefore);
    // The page's strict CSP let the socket move (connect-src names the region's other nodes), and
    // nothing on either page threw.
    const lines = logs.flat();
    expect(lines.filter((l) => /Content Security Policy|pageerror/.test(l))).toEqual([]);

    // The page's own address is the dead node's (previews and prints go there): the clerk is told
    // and reopens the page on B′ with one click; the case view and the call come back there, and
    // the preview of a document (HTTP, from B′) opens.
    const banner = clerk.locator('#node-moved');
    await banner.waitFor({ timeout: 10_000 });
    expect(await banner.textContent()).toContain('连接已自动切换到本地区另一节点');
    await clerk.screenshot({ path: 'test-results/node-kill-handover-clerk.png' });
    await clerk.click('#node-moved-open');
    await clerk.waitForURL(`${b2!.url}/clerk.html`, { timeout: 15_000 });
    await clerk.waitForSelector('#call-view:not(.hidden)', { timeout: 20_000 });
    expect(await clerk.locator('#case-number').textContent()).toBe(after.number);
    await expect.poll(async () => {
      const c = await inbound(clerk);
      return figure(c, 'face', 'framesDecoded') > 10 && figure(c, 'document', 'framesDecoded') > 10;
    }, { timeout: 30_000 }).toBe(true);
    await clerk.click('#btn-issue');
    const shown = clerk.locator('dialog[open] iframe').first();
    await shown.waitFor({ timeout: 20_000 });
    const frame = await (await shown.elementHandle())?.contentFrame();
    await expect.poll(() => frame?.evaluate(() => document.contentType).catch(() => ''), { timeout: 15_000 }).toBe('application/pdf');
    await clerk.waitForTimeout(1500);
    await clerk.screenshot({ path: 'test-results/node-kill-handover-reopened.png' });
    // The clerk signs from the preview on B′: the document is issued into the shared case, which
    // the counter's node sees.
    await clerk.locator('dialog[open]').getByRole('button', { name: /确认签章出具/ }).click();
    await expect.poll(async () => (await t.node.cases.getCase(caseId)).documents.map((d) => d.type)).toEqual(['receipt']);
    // The reopened page took the tab's peer back: the applicant did not "leave" when the old page
    // went (peer.left would tell the clerk so once the 3 s grace ran out).
    await clerk.waitForTimeout(3500);
    expect(await clerk.locator('#toasts').textContent().catch(() => '')).not.toContain('申请人端已断开');
    expect(logs.flat().filter((l) => /Content Security Policy|pageerror/.test(l))).toEqual([]);
  });
});
