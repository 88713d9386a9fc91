import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { launchChromium, type TestBrowser } from '../harness/browser';
import { collectPageLog, figure, inbound, pageMarks, queueAcceptAndDecode, waitForMedia } from '../harness/callPages';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';
import { isDeskId } from '@rvw/signaling/calls/CallService';

// The remote window call end to end: a 吴江 counter and a 霍邱 clerk in two real Chromiums
// (fake camera/mic), media through a real mediasoup worker, signaling over the real node. The
// clerk's page keeps a desk (its own media session, connected before any case comes in) that
// accepting links to the case's session by piping producers both ways; two workers, so the
// desk and the call live in different worker processes as they would on a busy node.
describe('counter ↔ remote clerk call through mediasoup', () => {
  let t: TestNode;
  let counterBrowser: TestBrowser;
  let clerkBrowser: TestBrowser;
  let counter: Page;
  let clerk: Page;
  const logs: string[][] = [];

  beforeAll(async () => {
    t = await startTestNode({ env: { RVW_SFU_WORKERS: '2' } });
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

  let caseId: string;

  it('both sides see and hear each other, including the document camera and the screen share', async () => {
    // The width of the first 高拍仪 frame the clerk's page presents (see the next assertions).
    await clerk.evaluate(() => {
      const video = document.getElementById('remote-document') as HTMLVideoElement;
      video.requestVideoFrameCallback((_now, meta) => ((window as unknown as { firstDocumentWidth: number }).firstDocumentWidth = meta.width));
    });
    await queueAcceptAndDecode(counter, clerk, { name: '陈建国', idNumber: withCheckDigit('32058419580312123') });

    // Each page marks its first frame of each picture at the frame's presentation (wall clock,
    // from the callback's metadata) and at the callback itself, which may run later, never
    // earlier; both after the accept was sent (the benches time the start by these marks).
    const [clerkMarks, counterMarks] = [await pageMarks(clerk), await pageMarks(counter)];
    const acceptSent = clerkMarks['accept:sent']!;
    expect(acceptSent).toBeGreaterThan(Date.now() - 120_000);
    for (const [marks, label] of [[clerkMarks, 'frame:face'], [clerkMarks, 'frame:document'], [counterMarks, 'frame:face']] as const) {
      const presented = marks[label]!;
      const callback = marks[`${label}:callback`]!;
      expect(Number.isInteger(presented), label).toBe(true);
      expect(presented, label).toBeGreaterThanOrEqual(acceptSent);
      expect(callback, label).toBeGreaterThanOrEqual(presented);
      expect(callback - presented, label).toBeLessThan(5000);
    }

    // A picture starts at half size (its first keyframe a quarter of the bytes: the call shows a
    // picture sooner) and goes to full size a moment later; the 高拍仪 holds its resolution
    // ('detail') whatever the load, so this holds under CI load too.
    const capturedWidth = await counter.evaluate(() => (document.getElementById('local-document') as HTMLVideoElement).videoWidth);
    expect(capturedWidth).toBeGreaterThanOrEqual(640);
    expect(await clerk.evaluate(() => (window as unknown as { firstDocumentWidth: number }).firstDocumentWidth)).toBe(capturedWidth / 2);
    await expect.poll(() => clerk.evaluate(() => (document.getElementById('remote-document') as HTMLVideoElement).videoWidth), { timeout: 10_000 }).toBe(capturedWidth);

    // Screen share from the clerk reaches the counter; its 屏幕共享 tile exists only now.
    expect(await counter.locator('#screen-tile').isVisible()).toBe(false);
    await clerk.click('#btn-screen');
    await waitForMedia(counter, [{ source: 'screen', kind: 'video' }], 5);
    expect(await counter.locator('#screen-tile').isVisible()).toBe(true);

    // Frame counts keep rising for several seconds on every video track.
    await expectFlowing(3000);

    // The case record says who handles it.
    caseId = await counter.evaluate(() => (window as unknown as { rvw: { state: { caseView: { id: string } } } }).rvw.state.caseView.id);
    const record = await t.node.cases.getCase(caseId);
    expect(record.state).toBe('in_session');
    // The call's router: the counter's transports and 3 tracks, plus copies of the clerk's 3
    // (mic, face, screen) piped in from the desk; the counter consumes them (mic and face in its
    // slots). The desk: the mirror image.
    expect(t.node.registry.get(caseId)?.counts()).toMatchObject({ peers: 2, transports: 2, producers: 6, consumers: 3 });
    expect(t.node.registry.get(deskId())?.counts()).toMatchObject({ peers: 2, transports: 2, producers: 6, consumers: 3 });
    expect(t.node.registry.get(deskId())?.workerPid).not.toBe(t.node.registry.get(caseId)?.workerPid);
    // The pictures and sound that started the call came through receiving slots negotiated before
    // 受理 (all fed now); only the screen share, which has no slot, needed a new consumer.
    expect(t.node.registry.get(caseId)?.idleSlots()).toEqual([]);
    expect(t.node.registry.get(deskId())?.idleSlots()).toEqual([]);
  });

  /** The clerk's desk session (exactly one: the clerk page's). */
  function deskId(): string {
    const desks = t.node.registry.all().filter((s) => isDeskId(s.id));
    expect(desks).toHaveLength(1);
    return desks[0]!.id;
  }

  it('a dropped WebSocket resumes the same transports and media keeps flowing', async () => {
    const before = await callInfo(counter);
    await counter.evaluate(() => (window as unknown as { rvw: { signal: { dropForTest(): void } } }).rvw.signal.dropForTest());
    await expect.poll(async () => (await callInfo(counter)).resumes, { timeout: 15_000 }).toBeGreaterThan(before.resumes);
    const after = await callInfo(counter);
    expect(after.transportIds).toEqual(before.transportIds);
    await expectFlowing(2000);
    // Still exactly two peers: the reconnect took the peer back instead of adding one.
    expect(t.node.registry.get(caseId)?.counts().peers).toBe(2);
  });

  it("the clerk's dropped WebSocket: the desk resumes its transports and stays linked to the call", async () => {
    const before = await callInfo(clerk);
    await clerk.evaluate(() => (window as unknown as { rvw: { signal: { dropForTest(): void } } }).rvw.signal.dropForTest());
    await expect.poll(async () => (await callInfo(clerk)).resumes, { timeout: 15_000 }).toBeGreaterThan(before.resumes);
    expect((await callInfo(clerk)).transportIds).toEqual(before.transportIds);
    await expectFlowing(2000);
    // The new socket hangs up the same call: the link survived the reconnect.
    expect(t.node.hub.linkedTo(caseId)).toHaveLength(1);
  });

  it('an ICE restart keeps media flowing on both transports', async () => {
    const before = await callInfo(clerk);
    await clerk.evaluate(() => (window as unknown as { rvw: { call: { restartIce(): Promise<void> } } }).rvw.call.restartIce());
    const after = await callInfo(clerk);
    expect(after.iceRestarts - before.iceRestarts).toBe(2);
    await expectFlowing(2000);
  });

  it("a killed worker under the clerk's desk: the desk is rebuilt and linked again, media flows both ways", async () => {
    const desk = t.node.registry.get(deskId())!;
    const pid = desk.workerPid!;
    expect(pid).not.toBe(t.node.registry.get(caseId)?.workerPid);
    const before = (await callInfo(clerk)).rebuilds;
    process.kill(pid, 'SIGKILL');
    await expect.poll(async () => (await callInfo(clerk)).rebuilds, { timeout: 15_000 }).toBeGreaterThan(before);
    // The counter's media was untouched; it sees the clerk again through a fresh pipe.
    await expect.poll(() => t.node.registry.get(deskId())?.workerPid, { timeout: 15_000 }).not.toBe(pid);
    await expectSteadyFlow(['face', 'document'], ['face']);
    expect(t.node.registry.get(caseId)?.counts()).toMatchObject({ peers: 2, transports: 2 });
  });

  it("a killed worker under the call's router is replaced and media flows again without user action", async () => {
    const session = t.node.registry.get(caseId)!;
    const pid = session.workerPid!;
    expect(pid).toBeGreaterThan(0);
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    // The counter rebuilds on media.reset (and the clerk's desk too if it shared the worker); the
    // rebuilt call is piped to the desk again. Wait until fresh frames arrive on both sides.
    await expect.poll(async () => (await callInfo(counter)).rebuilds, { timeout: 15_000 }).toBeGreaterThan(0);
    await waitForMedia(clerk, [{ source: 'face', kind: 'video' }, { source: 'document', kind: 'video' }], 5, 15_000);
    await waitForMedia(counter, [{ source: 'face', kind: 'video' }], 5, 15_000);
    const recoveredMs = Date.now() - killedAt;
    console.log(JSON.stringify({ worker_recovery_ms: recoveredMs }));
    expect(t.node.registry.get(caseId)?.workerPid).not.toBe(pid);
    await expectSteadyFlow(['face', 'document'], ['face']);
  });

  it('a restarted signaling node: both sides rebuild their media and the case is intact', async () => {
    const before = await t.node.cases.getCase(caseId);
    const oldIds = [...(await callInfo(clerk)).transportIds, ...(await callInfo(counter)).transportIds];
    const restartedAt = Date.now();
    await t.restartNode();
    // The new node has none of the old transports: each client's resume falls back to
    // re-creating everything. Wait for new transport ids on both sides, then for fresh frames.
    for (const page of [clerk, counter]) {
      await expect
        .poll(async () => (await callInfo(page)).transportIds.filter((id) => !oldIds.includes(id)).length, { timeout: 15_000 })
        .toBe(2);
    }
    await waitForMedia(clerk, [{ source: 'face', kind: 'video' }, { source: 'document', kind: 'video' }], 5, 15_000);
    await waitForMedia(counter, [{ source: 'face', kind: 'video' }], 5, 15_000);
    const backMs = Date.now() - restartedAt;
    console.log(JSON.stringify({ signaling_restart_recovery_ms: backMs }));
    // Back without user action and without a stalled reconnect. A sanity bound: 15 s is the goal on a
    // quiet machine (logged above; no bench measures it yet), two Chromiums rebuilding under CI load need more.
    expect(backMs).toBeLessThan(45_000);
    expect(t.node.registry.get(caseId)?.counts()).toMatchObject({ peers: 2, transports: 2 });
    expect(t.node.registry.get(deskId())?.counts()).toMatchObject({ peers: 2, transports: 2 });
    const after = await t.node.cases.getCase(caseId);
    const audit = await t.node.cases.audit(caseId);
    // Nothing written in the meantime but what the call's ladder may propose (a step is its to
    // make: once in CI, under load, one was written here; what it measured is printed).
    const since = audit.events.filter((e) => e.seq > before.version).map((e) => `${e.action} ${JSON.stringify(e.data)}`);
    if (since.length) console.log(`written during the restart:\n${since.join('\n')}`);
    expect(since.filter((e) => !e.startsWith('call.mode ')), since.join('\n')).toEqual([]);
    expect(after.state).toBe('in_session');
    expect(audit.verdict.ok).toBe(true);
    await expectSteadyFlow(['face', 'document'], ['face']);
  });

  it("hang-up leaves nothing of the session on the server; the clerk's desk goes with the page", async () => {
    await clerk.click('#btn-hangup');
    await expect.poll(() => t.node.registry.get(caseId), { timeout: 15_000 }).toBeUndefined();
    // Only the desk is left (ready for the next applicant), with nothing of the call piped in:
    // ask the worker processes themselves.
    const routers = async () => (await Promise.all(t.node.pool.workers.map((w) => w.dump()))).flatMap((d) => d.routerIds);
    await expect.poll(async () => (await routers()).length, { timeout: 15_000 }).toBe(1);
    expect(t.node.registry.size).toBe(1);
    // Its consumers are the fresh receiving slots of its renewed receive transport, fed by nothing.
    await expect
      .poll(() => {
        const desk = t.node.registry.get(deskId());
        return { counts: desk?.counts(), idleSlots: desk?.idleSlots() };
      }, { timeout: 15_000 })
      .toMatchObject({ counts: { peers: 1, producers: 2, consumers: 3 }, idleSlots: ['document', 'face', 'mic'] });
    // The counter does not call back into the ended call.
    await counter.waitForTimeout(1500);
    expect(t.node.registry.get(caseId)).toBeUndefined();
    // The clerk closes the page: after the grace period the desk's router is gone too.
    await clerk.goto('about:blank');
    await expect.poll(async () => (await routers()).length, { timeout: 15_000 }).toBe(0);
    expect(t.node.registry.size).toBe(0);
    expect(t.node.pool.routerCount).toBe(0);
  });

  /**
   * After a rebuild the new encoders ramp up their bitrate and frame rate over a few seconds (more
   * on a loaded machine): judge the steady flow by the same bar, measured over 2 s windows until
   * one passes (within 12 s), not the ramp.
   */
  async function expectSteadyFlow(clerkSources: string[], counterSources: string[]): Promise<void> {
    await vi.waitFor(() => expectFlowing(2000, clerkSources, counterSources), { timeout: 30_000, interval: 0 });
  }

  async function expectFlowing(ms: number, clerkSources = ['face', 'document'], counterSources = ['face', 'screen']): Promise<void> {
    const c0 = await inbound(clerk);
    const k0 = await inbound(counter);
    await clerk.waitForTimeout(ms);
    const c1 = await inbound(clerk);
    const k1 = await inbound(counter);
    const perSecond = (a: number, b: number) => ((b - a) * 1000) / ms;
    for (const source of clerkSources) expect(perSecond(figure(c0, source, 'framesDecoded'), figure(c1, source, 'framesDecoded')), `clerk ${source} fps`).toBeGreaterThan(5);
    for (const source of counterSources) expect(perSecond(figure(k0, source, 'framesDecoded'), figure(k1, source, 'framesDecoded')), `counter ${source} fps`).toBeGreaterThan(counterSources.length > 1 && source === 'screen' ? 1 : 5);
    expect(figure(c1, 'mic', 'packetsReceived') - figure(c0, 'mic', 'packetsReceived'), 'clerk hears counter').toBeGreaterThan(ms / 40);
  }
});

async function callInfo(page: Page): Promise<{ resumes: number; iceRestarts: number; rebuilds: number; transportIds: string[] }> {
  return page.evaluate(() => {
    const call = (window as unknown as { rvw: { call: { counters: { resumes: number; iceRestarts: number; rebuilds: number }; transportIds: string[] } } }).rvw.call;
    return { ...call.counters, transportIds: call.transportIds };
  });
}
