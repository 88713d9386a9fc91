import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type TestBrowser } from '../harness/browser';
import { figure, inbound, queueAcceptAndDecode, type InboundStat, socketOf, waitForFreshFrames, wsUrlFor } from '../harness/callPages';
import { withCheckDigit } from '../harness/idNumber';
import { metricValue } from '../harness/netns/nsNode';
import type { NsNode } from '../harness/netns/nsNode';
import { HUOQIU, startTwoRegionCluster, type TwoRegionCluster } from '../harness/netns/twoRegionCluster';
import { PageGuard } from '../journey/support/pageGuard';
import { ensureServerBuilt } from '../harness/serverBuild';

/*
 * Two regions as they are deployed: the 吴江 node and the 霍邱 node are separate processes of the
 * production entry in two network namespaces, 30 ms apart (15 ms each way on the link between
 * them), sharing only Redis (in the root namespace) and the cluster secret, each with its own
 * data directory. A Chromium counter uses the 吴江 node, a Chromium clerk the 霍邱 node; both
 * are real pages, and any console error, CSP violation or page error fails the test.
 */
describe('two regions in two network namespaces, 30 ms apart', () => {
  let c: TwoRegionCluster;
  /** 霍邱's second node (same namespace, port 8081): where the clerk goes when the first dies. */
  let hq2: NsNode;
  let counterBrowser: TestBrowser;
  let clerkBrowser: TestBrowser;
  let counter: Page;
  let clerk: Page;
  const guards: PageGuard[] = [];
  let caseId = '';

  beforeAll(async () => {
    await ensureServerBuilt();
    // TTL 3 s: a node stalled by CI load for 1.2 s was once taken for dead and lost its pipes.
    c = await startTwoRegionCluster({ nodeEnv: { RVW_SFU_WORKERS: '1', RVW_NODE_HEARTBEAT_MS: '300', RVW_NODE_TTL_MS: '3000' }, extraPorts: [8081] });
    hq2 = await c.startNode(c.net.hq, `huoqiu2-${process.pid}`, HUOQIU, 8081);
    const clerkAuth = await c.setup.clerk(HUOQIU, ['000117005000', '000117013000', '000117009000'], '霍邱窗口 王敏');
    const counterAuth = await c.setup.counter('wujiang-kyth-01');
    counterBrowser = await launchChromium(c.chromiumArgs);
    clerkBrowser = await launchChromium(c.chromiumArgs);
    guards.push(await PageGuard.install(counterBrowser.context, 'counter'), await PageGuard.install(clerkBrowser.context, 'clerk'));
    await c.addCookie(counterBrowser.context, c.wj, counterAuth.cookie);
    await c.addCookie(clerkBrowser.context, c.hq, clerkAuth.cookie);
    counter = await counterBrowser.context.newPage();
    clerk = await clerkBrowser.context.newPage();
    await counter.goto(`${c.wj.origin}/counter.html`);
    await clerk.goto(`${c.hq.origin}/clerk.html`);
  }, 300_000);

  afterEach((ctx) => {
    // Console errors, CSP violations, page errors: each fails the step it happened in.
    const problems = guards.flatMap((g) => g.takeProblems(ctx.task.name));
    if (ctx.task.result?.state === 'fail' || problems.length) {
      console.log([...guards.flatMap((g) => g.log.map((l) => `[${g.label}] ${l}`)), `--- wujiang node ---\n${c?.wj.log()}`, `--- huoqiu node ---\n${c?.hq.log()}`].join('\n'));
    }
    expect(problems).toEqual([]);
  });

  afterAll(async () => {
    await counterBrowser?.close();
    await clerkBrowser?.close();
    await c?.dispose();
  });

  it('the link: ~30 ms round trip, and the only way between the two regions’ nodes', async () => {
    const rtt = await c.net.pingRttMs(10);
    console.log(`round trip 吴江 ↔ 霍邱 (${c.net.delayKind}): ${rtt.toFixed(1)} ms`);
    expect(rtt).toBeGreaterThan(28);
    expect(rtt).toBeLessThan(45);
    // Pipes between the nodes go over the delayed link; the other region's root-link address is unreachable.
    expect(await c.net.routeDev(c.net.wj, c.net.hq.interIp)).toBe(c.net.wj.interDev);
    expect(await c.net.routeDev(c.net.hq, c.net.wj.interIp)).toBe(c.net.hq.interDev);
    await expect(c.net.routeDev(c.net.wj, c.net.hq.nsIp)).rejects.toThrow(/unreachable/i);
    // Both nodes registered, each for its own region, with its pipe address on the link.
    expect(await c.setup.node.cluster.nodes.get(c.wj.nodeId)).toMatchObject({ regions: ['320509'], pipeAddress: c.net.wj.interIp, origin: c.wj.origin });
    expect(await c.setup.node.cluster.nodes.get(c.hq.nodeId)).toMatchObject({ regions: ['341522'], pipeAddress: c.net.hq.interIp, origin: c.hq.origin });
  });

  it('queue at the 吴江 counter → 受理 at the 霍邱 clerk: both decode, and each track crosses the node pair once', async () => {
    await queueAcceptAndDecode(counter, clerk, { name: '陈建国', idNumber: withCheckDigit('32058419580312123') });
    caseId = await counter.evaluate(() => (window as unknown as { rvw: { state: { caseView: { id: string } } } }).rvw.state.caseView.id);
    // Frames keep coming both ways.
    const [c0, k0] = [await inbound(clerk), await inbound(counter)];
    await clerk.waitForTimeout(2000);
    const [c1, k1] = [await inbound(clerk), await inbound(counter)];
    // A failure says which figures stood still (packets too, or only frames: a lost keyframe).
    const seen = (before: InboundStat[], after: InboundStat[], s: string) => JSON.stringify({ before: before.filter((x) => x.source === s), after: after.filter((x) => x.source === s) });
    for (const s of ['face', 'document']) expect(figure(c1, s, 'framesDecoded'), `clerk decodes the counter's ${s}: ${seen(c0, c1, s)}`).toBeGreaterThan(figure(c0, s, 'framesDecoded') + 5);
    expect(figure(k1, 'face', 'framesDecoded'), `counter decodes the clerk’s face: ${seen(k0, k1, 'face')}`).toBeGreaterThan(figure(k0, 'face', 'framesDecoded') + 5);
    // Per node pair one pipe track per track (face, 高拍仪, mic one way; face, mic the other),
    // whatever the consumers of them on the far node (the clerk's page, the clerk's desk).
    const [wjm, hqm] = [await c.wj.metrics(), await c.hq.metrics()];
    expect(metricValue(wjm, 'rvw_pipe_tracks', { node: c.hq.nodeId, direction: 'out' }), wjm).toBe(3);
    expect(metricValue(wjm, 'rvw_pipe_tracks', { node: c.hq.nodeId, direction: 'in' })).toBe(2);
    expect(metricValue(hqm, 'rvw_pipe_tracks', { node: c.wj.nodeId, direction: 'in' }), hqm).toBe(3);
    expect(metricValue(hqm, 'rvw_pipe_tracks', { node: c.wj.nodeId, direction: 'out' })).toBe(2);
  });

  it('the bytes on the link between the regions are one copy of each side’s streams, not two', async () => {
    expect(caseId).not.toBe('');
    const read = async () => ({
      // What each node receives from its browser (its root link), and sends over the delayed link.
      wjFromBrowser: (await c.net.bytes(c.net.wj.ns, c.net.wj.nsDev)).rx,
      hqFromBrowser: (await c.net.bytes(c.net.hq.ns, c.net.hq.nsDev)).rx,
      wjToHq: (await c.net.bytes(c.net.wj.ns, c.net.wj.interDev)).tx,
      hqToWj: (await c.net.bytes(c.net.hq.ns, c.net.hq.interDev)).tx,
    });
    const before = await read();
    const started = Date.now();
    await clerk.waitForTimeout(5000);
    const after = await read();
    const seconds = (Date.now() - started) / 1000;
    const d = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - before[k as keyof typeof before]])) as typeof before;
    const kbps = (bytes: number) => Math.round((bytes * 8) / seconds / 1000);
    console.log(`over ${seconds.toFixed(1)} s: 吴江 node from counter ${kbps(d.wjFromBrowser)} kbit/s, 吴江→霍邱 ${kbps(d.wjToHq)} kbit/s; 霍邱 node from clerk ${kbps(d.hqFromBrowser)} kbit/s, 霍邱→吴江 ${kbps(d.hqToWj)} kbit/s`);
    // Real streams are flowing (a face and a 高拍仪 picture are hundreds of kbit/s).
    expect(kbps(d.wjFromBrowser)).toBeGreaterThan(200);
    expect(kbps(d.hqFromBrowser)).toBeGreaterThan(100);
    // One copy each way: about what the node received from its browser (SRTP, RTCP and the
    // root link's signaling and Redis traffic make the two differ a little), far from twice it.
    expect(d.wjToHq / d.wjFromBrowser).toBeGreaterThan(0.7);
    expect(d.wjToHq / d.wjFromBrowser).toBeLessThan(1.35);
    expect(d.hqToWj / d.hqFromBrowser).toBeGreaterThan(0.7);
    expect(d.hqToWj / d.hqFromBrowser).toBeLessThan(1.35);
  });

  it('chat both ways', async () => {
    const ask = '请问材料可以之后寄过来吗？';
    await counter.fill('#chat-text', ask);
    await counter.click('#btn-chat');
    await expect.poll(() => clerk.locator('#chat').textContent(), { timeout: 15_000 }).toContain(ask);
    const answer = '可以，七日内补交即可。';
    await clerk.fill('#chat-text', answer);
    await clerk.click('#btn-chat');
    await expect.poll(() => counter.locator('#chat').textContent(), { timeout: 15_000 }).toContain(answer);
  });

  it('case changes on both sides: the clerk records a material, the applicant signs', async () => {
    // The clerk (霍邱 node) photographs 居民身份证 from the 高拍仪: the counter (吴江 node) sees it submitted.
    const row = clerk.locator('#checklist tr', { hasText: '居民身份证' });
    await row.getByRole('button', { name: '拍照' }).click();
    await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain('已提交');
    await expect.poll(() => counter.locator('#checklist tr', { hasText: '居民身份证' }).textContent(), { timeout: 15_000 }).toContain('已提交');
    // The applicant signs at the counter: the clerk's page shows the signature among the case's materials.
    const box = (await counter.locator('#signature').boundingBox())!;
    await counter.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.6);
    await counter.mouse.down();
    await counter.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.3, { steps: 8 });
    await counter.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.6, { steps: 8 });
    await counter.mouse.up();
    await counter.click('#btn-sign');
    await expect.poll(() => counter.locator('#sign-status').textContent(), { timeout: 15_000 }).toContain('已签字确认');
    await expect.poll(() => clerk.locator('#materials').innerText(), { timeout: 15_000 }).toContain('签名');
  });

  it('a document issued by the 霍邱 clerk is printed at the 吴江 counter', async () => {
    await clerk.selectOption('#doc-type', { label: '受理回执' });
    await clerk.click('#btn-issue');
    // The clerk checks the preview, then signs it from there.
    await clerk.locator('dialog[open]').getByRole('button', { name: /签章出具/ }).click();
    const clerkRow = clerk.locator('#documents tr', { hasText: '受理回执' });
    await clerkRow.waitFor({ timeout: 20_000 });
    const number = (await clerkRow.getAttribute('data-document')) ?? '';
    expect(number).not.toBe('');
    const row = counter.locator(`#documents tr[data-document="${number}"]`);
    await row.waitFor({ timeout: 15_000 });
    const printsBefore = guards[0]!.prints.length;
    const pdf = counter.waitForResponse((r) => r.url().includes('/api/print/'), { timeout: 20_000 });
    await row.locator('button.print').click();
    const response = await pdf;
    // Served by the 吴江 node although the document was signed and stored on the 霍邱 node.
    expect(response.status(), await response.text().catch(() => '')).toBe(200);
    expect(response.headers()['content-type']).toBe('application/pdf');
    await expect.poll(() => guards[0]!.prints.length - printsBefore, { timeout: 15_000 }).toBe(1);
    await expect.poll(() => row.locator('.print-state').innerText(), { timeout: 15_000 }).toBe('已打印 1 次');
    await expect.poll(() => clerk.locator(`#documents tr[data-document="${number}"]`).textContent(), { timeout: 15_000 }).toContain('已打印 1 次');
  });

  it('kill -9 of the 霍邱 node under the clerk: the page moves to 霍邱’s other node by itself and media flows both ways again', async () => {
    expect(caseId).not.toBe('');
    const wsOf = (n: NsNode) => wsUrlFor(n.origin);
    expect((await socketOf(clerk)).candidates.sort()).toEqual([wsOf(c.hq), wsOf(hq2)].sort());
    const before = await c.setup.node.cases.getCase(caseId);
    const killedAt = Date.now();
    await c.hq.kill9();
    // The old path's frames stop with the node; wait out what its jitter buffers still play, then
    // for frames decoded again on both pages, with no user action.
    await new Promise((r) => setTimeout(r, 500));
    await waitForFreshFrames([
      { page: clerk, sources: ['face', 'document'] },
      { page: counter, sources: ['face'] },
    ]);
    console.log(JSON.stringify({ node_kill_recovery_ms: Date.now() - killedAt, rtt_ms: 30 }));
    expect(await socketOf(clerk)).toMatchObject({ url: wsOf(hq2), isOpen: true });
    // The 吴江 node pipes to the new 霍邱 node, across the delayed link, each track once.
    await expect.poll(async () => metricValue(await c.wj.metrics(), 'rvw_pipe_tracks', { node: hq2.nodeId, direction: 'out' })).toBe(3);
    await expect.poll(async () => metricValue(await c.wj.metrics(), 'rvw_pipe_tracks', { node: hq2.nodeId, direction: 'in' })).toBe(2);
    await expect.poll(async () => metricValue(await c.wj.metrics(), 'rvw_pipe_tracks', { node: c.hq.nodeId, direction: 'out' })).toBe(0);
    // The case is intact: same state, a sound audit chain, and nothing written in the meantime but
    // what the call's ladder may propose (it measures the new path afresh; a step is its to make).
    const after = await c.setup.node.cases.getCase(caseId);
    const audit = await c.setup.node.cases.audit(caseId);
    const since = audit.events.filter((e) => e.seq > before.version).map((e) => `${e.action} ${JSON.stringify(e.data)}`);
    if (since.length) console.log(`written during the node kill:\n${since.join('\n')}`);
    expect(after.state).toBe(before.state);
    expect(since.filter((e) => !e.startsWith('call.mode ')), since.join('\n')).toEqual([]);
    expect(audit.verdict.ok).toBe(true);
    // The only complaint a page may make: its socket to the dead node failed (Chromium logs that
    // as a console error); anything else (CSP, page errors) fails the step.
    const dead = new RegExp(`WebSocket connection to '${wsOf(c.hq).replace(/[.]/g, '\\.')}' failed`);
    expect(guards.flatMap((g) => g.takeProblems('node kill')).filter((p) => !dead.test(p))).toEqual([]);
  });
});
