import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type TestBrowser } from '../harness/browser';
import { collectPageLog, figure, inbound, queueFromCounter, waitForMedia } from '../harness/callPages';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';

// The remote window call end to end: a 吴江 counter and a 霍邱 clerk in two real Chromiums
// (fake camera/mic), media through a real mediasoup worker, signaling over the real node.
describe('counter ↔ remote clerk call through mediasoup', () => {
  let t: TestNode;
  let counterBrowser: TestBrowser;
  let clerkBrowser: TestBrowser;
  let counter: Page;
  let clerk: Page;
  const logs: string[][] = [];

  beforeAll(async () => {
    t = await startTestNode();
    const huoqiu = t.demo.regionCodes.find((c) => c === '341522')!;
    const clerkAuth = await t.clerk(huoqiu, ['000117005000', '000117013000', '000117009000'], '霍邱窗口 王敏');
    const counterAuth = await t.counter('wujiang-kyth-01');
    counterBrowser = await launchChromium();
    clerkBrowser = await launchChromium(['--auto-select-desktop-capture-source=Entire screen', '--auto-accept-this-tab-capture']);
    await t.addCookie(counterBrowser.context, counterAuth.cookie);
    await t.addCookie(clerkBrowser.context, clerkAuth.cookie);
    counter = await counterBrowser.context.newPage();
    clerk = await clerkBrowser.context.newPage();
    logs.push(collectPageLog(counter, 'counter'), collectPageLog(clerk, 'clerk'));
    await counter.goto(`${t.origin}/counter.html`);
    await clerk.goto(`${t.origin}/clerk.html`);
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.log(logs.flat().join('\n'));
  });

  afterAll(async () => {
    await counterBrowser?.close();
    await clerkBrowser?.close();
    await t?.dispose();
  });

  it('both sides see and hear each other, including the document camera and the screen share', async () => {
    await queueFromCounter(counter, { name: '陈建国', idNumber: withCheckDigit('32058419580312123') }, '城乡居民基本养老保险个人账户一次性支付');
    await clerk.waitForSelector('#queue button.accept', { timeout: 15_000 });
    await clerk.click('#queue button.accept');

    // Clerk decodes BOTH counter video tracks (face + 高拍仪) and receives counter audio.
    await waitForMedia(clerk, [
      { source: 'face', kind: 'video' },
      { source: 'document', kind: 'video' },
      { source: 'mic', kind: 'audio' },
    ]);
    // Counter decodes the clerk's video and hears the clerk.
    await waitForMedia(counter, [
      { source: 'face', kind: 'video' },
      { source: 'mic', kind: 'audio' },
    ]);

    // Screen share from the clerk reaches the counter.
    await clerk.click('#btn-screen');
    await waitForMedia(counter, [{ source: 'screen', kind: 'video' }], 5);

    // Frame counts keep rising for several seconds on every video track.
    const c0 = await inbound(clerk);
    const k0 = await inbound(counter);
    await clerk.waitForTimeout(3000);
    const c1 = await inbound(clerk);
    const k1 = await inbound(counter);
    for (const source of ['face', 'document']) expect(figure(c1, source, 'framesDecoded') - figure(c0, source, 'framesDecoded'), source).toBeGreaterThan(20);
    for (const source of ['face', 'screen']) expect(figure(k1, source, 'framesDecoded') - figure(k0, source, 'framesDecoded'), source).toBeGreaterThan(5);
    expect(figure(c1, 'mic', 'packetsReceived') - figure(c0, 'mic', 'packetsReceived')).toBeGreaterThan(50);

    // The case record says who handles it.
    const caseId = await counter.evaluate(() => (window as unknown as { rvw: { state: { caseView: { id: string } } } }).rvw.state.caseView.id);
    const record = await t.node.cases.getCase(caseId);
    expect(record.state).toBe('in_session');
    expect(t.node.registry.get(caseId)?.counts()).toMatchObject({ peers: 2, transports: 4, producers: 5 });

    // Hang up: nothing of the session is left on the server.
    await clerk.click('#btn-hangup');
    await expect.poll(() => t.node.registry.size, { timeout: 5000 }).toBe(0);
    // Ask the worker processes themselves: no router, hence no transport, is left.
    const dumps = await Promise.all(t.node.pool.workers.map((w) => w.dump()));
    expect(dumps.flatMap((d) => d.routerIds)).toEqual([]);
    expect(t.node.pool.routerCount).toBe(0);
  });
});
