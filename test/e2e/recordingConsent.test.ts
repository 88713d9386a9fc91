import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RECORDING_NOTICE_VERSION } from '@rvw/protocol/recordingNotice';
import { verifyAuditChain } from '@rvw/signaling/audit/verifyAuditChain';
import { waitForMedia } from '../harness/callPages';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';
import { WsClient, WsRequestError } from '../harness/wsClient';
import { expectInViewport, launchPerson, StepShots, type Person } from '../journey/support/person';

/*
 * 全程录音录像 is announced before anything of the applicant leaves the counter: the notice (what,
 * why, who may see it, how long — this node's retention) with 同意并继续 / 不同意, clicked as the
 * applicant clicks. Refusing opens nothing and starts no camera; agreeing opens the case with the
 * consent in the record and its audit chain; a crafted join without it is refused; and during the
 * call both regions' pages show 录制中, gone after the hang-up.
 */
const PENSION = '城乡居民基本养老保险个人账户一次性支付';
const RETENTION_DAYS = 90;

describe('recording notice and consent at the counter, 录制中 on both pages', () => {
  let t: TestNode;
  let counter: Person;
  let clerk: Person;
  let counterCookie: { name: string; value: string };

  beforeAll(async () => {
    t = await startTestNode({ env: { RVW_RECORDING: 'on', RVW_RECORDING_RETENTION_DAYS: String(RETENTION_DAYS) } });
    const clerkAuth = await t.clerk('341522', ['000117005000'], '霍邱窗口 王敏');
    const device = await t.counter('wujiang-kyth-01');
    counterCookie = device.cookie;
    counter = await launchPerson('counter');
    clerk = await launchPerson('clerk');
    await t.addCookie(counter.browser.context, device.cookie);
    await t.addCookie(clerk.browser.context, clerkAuth.cookie);
    // Counts every camera/microphone start of the counter page: none may happen before consent.
    await counter.browser.context.addInitScript(() => {
      const md = navigator.mediaDevices;
      const original = md.getUserMedia.bind(md);
      (window as unknown as { gumCalls: number }).gumCalls = 0;
      md.getUserMedia = (c) => {
        (window as unknown as { gumCalls: number }).gumCalls += 1;
        return original(c);
      };
    });
  });
  afterEach(() => {
    expect(counter.guard.takeProblems('counter'), 'console errors, CSP violations or page errors on the counter').toEqual([]);
    expect(clerk.guard.takeProblems('clerk'), 'console errors, CSP violations or page errors on the clerk page').toEqual([]);
  });
  afterAll(async () => {
    await counter?.close();
    await clerk?.close();
    await t?.dispose();
  });

  const k = () => counter.page;
  const gumCalls = (page: Page) => page.evaluate(() => (window as unknown as { gumCalls: number }).gumCalls);
  const caseIds = async (): Promise<string[]> => {
    const ids: string[] = [];
    for await (const batch of t.node.redis.scanIterator({ MATCH: 'case:{*}', COUNT: 100 })) ids.push(...(Array.isArray(batch) ? batch : [batch]));
    return ids;
  };

  async function fillForm(page: Page, name: string, idNumber: string): Promise<void> {
    await page.waitForSelector('#partner option', { state: 'attached' });
    await page.selectOption('#item', { label: PENSION });
    await page.fill('#app-name', name);
    await page.fill('#app-id', idNumber);
    await page.click('#btn-queue');
  }

  for (const mode of ['normal', 'large'] as const) {
    it(`the notice says what, why, who and how long before any camera starts, readable at 1366×768 in ${mode === 'large' ? '大字模式' : 'normal type'}`, async () => {
      const page = k();
      const shots = new StepShots(path.resolve(`test-results/recording-consent/${mode}`));
      await page.goto(`${t.origin}/counter.html`);
      const largeNow = (await page.locator('#btn-large-type').innerText()) === '标准字体';
      if ((mode === 'large') !== largeNow) await page.click('#btn-large-type');
      await fillForm(page, '陈建国', withCheckDigit('32058419580312123'));
      await page.waitForSelector('#step-consent:not(.hidden)');
      const text = await page.locator('#step-consent').innerText();
      expect(text).toContain('全程录音录像');
      expect(text).toContain('六安市霍邱县'); // who records and who may see it: the serving region
      expect(text).toMatch(/留存办理过程/);
      expect(text).toMatch(/管理人员和办理本件的工作人员/);
      expect(text).toContain(`保存 ${RETENTION_DAYS} 天`);
      await expectInViewport(page.locator('#btn-consent-agree'), '同意并继续');
      await expectInViewport(page.locator('#btn-consent-refuse'), '不同意');
      if (mode === 'large') expect(await page.locator('#consent-text p').first().evaluate((p) => parseFloat(getComputedStyle(p).fontSize))).toBeGreaterThanOrEqual(24);
      await shots.take(page, 'notice');
      // Nothing started, nothing opened while the applicant reads.
      expect(await gumCalls(page)).toBe(0);
      expect(await caseIds()).toEqual([]);
      await page.click('#btn-consent-refuse');
      await page.waitForSelector('#step-declined:not(.hidden)');
      await shots.take(page, 'declined');
      await page.click('#btn-declined-back');
      await page.waitForSelector('#step-choose:not(.hidden)');
    });
  }

  it('不同意: no case, no camera, no media on the node; the applicant is told where to go in person and the form is empty', async () => {
    const page = k();
    await page.goto(`${t.origin}/counter.html`);
    await fillForm(page, '李秀英', withCheckDigit('32058419490101234'));
    await page.waitForSelector('#step-consent:not(.hidden)');
    await page.click('#btn-consent-refuse');
    await page.waitForSelector('#step-declined:not(.hidden)');
    const message = await page.locator('#declined-text').innerText();
    expect(message).toContain('须全程录音录像');
    expect(message).toContain('到六安市霍邱县政务服务中心现场窗口办理');
    await page.click('#btn-declined-back');
    await page.waitForSelector('#step-choose:not(.hidden)');
    // Nothing of the refusing applicant stays for the next one.
    expect(await page.inputValue('#app-name')).toBe('');
    expect(await page.inputValue('#app-id')).toBe('');
    // A moment for anything stray to arrive; then: no case, no camera, no session, no producer.
    await page.waitForTimeout(1000);
    expect(await gumCalls(page)).toBe(0);
    expect(await caseIds()).toEqual([]);
    expect(t.node.registry.all().filter((s) => !s.id.startsWith('desk:'))).toEqual([]);
  });

  it('a join without the agreed notice (crafted, or an old page) is refused with RECORDING_CONSENT_REQUIRED and opens nothing', async () => {
    const ws = await WsClient.connect(t.origin, counterCookie);
    try {
      const join = (consent?: { noticeVersion: string }) =>
        ws.request('queue.join', {
          partnershipId: 'wujiang-huoqiu',
          itemCode: '000117005000',
          applicant: { name: '王五', idNumber: withCheckDigit('32058419700101001') },
          ...(consent ? { recordingConsent: consent } : {}),
        });
      for (const consent of [undefined, { noticeVersion: 'rec-notice-2020-01' }]) {
        const err = await join(consent).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(WsRequestError);
        expect((err as WsRequestError).code).toBe('RECORDING_CONSENT_REQUIRED');
        expect((err as WsRequestError).message).toMatch(/录音录像.*同意/);
      }
      expect(await caseIds()).toEqual([]);
    } finally {
      ws.close();
    }
  });

  it('同意并继续: the case opens with the consent in its record and chain; in the call both pages show 录制中, gone after the hang-up', { timeout: 120_000 }, async () => {
    const page = k();
    const shots = new StepShots(path.resolve('test-results/recording-consent/call'));
    await clerk.page.goto(`${t.origin}/clerk.html`);
    await page.goto(`${t.origin}/counter.html`);
    await fillForm(page, '陈建国', withCheckDigit('32058419580312123'));
    await page.waitForSelector('#step-consent:not(.hidden)');
    expect(await gumCalls(page)).toBe(0);
    await page.click('#btn-consent-agree');
    await page.waitForSelector('#step-wait:not(.hidden), #step-call:not(.hidden)', { timeout: 15_000 });
    const caseId = await page.evaluate(() => (window as unknown as { rvw: { state: { caseView: { id: string } } } }).rvw.state.caseView.id);
    const opened = await t.node.cases.getCase(caseId);
    expect(opened.recordingConsent).toMatchObject({ noticeVersion: RECORDING_NOTICE_VERSION, retentionDays: RETENTION_DAYS });
    const { events } = await t.node.cases.history(caseId);
    expect(events[0]).toMatchObject({ action: 'case.opened', data: { recordingConsent: { noticeVersion: RECORDING_NOTICE_VERSION, retentionDays: RETENTION_DAYS } } });
    expect(events[0]!.actor).toMatchObject({ role: 'counter', id: 'wujiang-kyth-01' });
    // While waiting, not in a call yet: no 录制中.
    expect(await page.locator('#rec').isHidden()).toBe(true);

    const row = clerk.page.locator('#queue tr', { hasText: PENSION });
    await row.getByRole('button', { name: '受理' }).click();
    await clerk.page.waitForSelector('#call-view:not(.hidden)');
    await page.waitForSelector('#step-call:not(.hidden)');
    await waitForMedia(clerk.page, [
      { source: 'face', kind: 'video' },
      { source: 'document', kind: 'video' },
    ]);
    for (const p of [page, clerk.page]) {
      await p.waitForSelector('#rec:not(.hidden)', { timeout: 15_000 });
      expect(await p.locator('#rec').innerText()).toBe('录制中');
      // In the header, over no picture.
      await expectInViewport(p.locator('#rec'), '录制中');
    }
    expect((await t.node.cases.getCase(caseId)).recording).toMatchObject({ state: 'recording' });
    await shots.take(page, 'counter-recording');
    await shots.take(clerk.page, 'clerk-recording');

    await clerk.page.click('#btn-hangup');
    for (const p of [page, clerk.page]) await p.waitForSelector('#rec', { state: 'hidden', timeout: 15_000 });
    await expect.poll(async () => (await t.node.cases.getCase(caseId)).recording?.state, { timeout: 15_000 }).toBe('stopped');
    const after = await t.node.cases.history(caseId);
    const actions = after.events.map((e) => e.action);
    expect(actions).toContain('recording.started');
    expect(actions).toContain('recording.stopped');
    expect(actions.indexOf('recording.started')).toBeLessThan(actions.indexOf('recording.stopped'));
    expect(verifyAuditChain(after.events, { caseId, version: after.record.version, lastEventHash: after.record.lastEventHash }).ok).toBe(true);
  });

  it('the accept\u2019s answer comes after the recording started (a slow network): both pages still show 录制中', { timeout: 120_000 }, async () => {
    // The node links the call (and starts its recording) before it answers queue.accept: on a
    // slow or loaded network the clerk's page can hear of the recording before it hears that it
    // accepted. Here the answer is held back on the clerk page's socket for 2 s.
    const HOLD_MS = 2000;
    // `frames` counts case notifications the page receives after it asked to accept and before
    // it hears the answer, whether they reach the proxy before or after the answer does.
    const held: { asked: boolean; released: boolean; frames: number } = { asked: false, released: false, frames: 0 };
    await clerk.page.routeWebSocket(/\/ws(\?|$)/, (ws) => {
      const server = ws.connectToServer();
      const acceptIds = new Set<number>();
      ws.onMessage((m) => {
        if (typeof m === 'string') {
          const frame = JSON.parse(m) as { id?: number; type?: string };
          if (frame.type === 'queue.accept' && typeof frame.id === 'number') {
            acceptIds.add(frame.id);
            held.asked = true;
          }
        }
        server.send(m);
      });
      server.onMessage((m) => {
        if (typeof m === 'string') {
          const frame = JSON.parse(m) as { id?: number; type?: string };
          if (frame.type === 'response' && typeof frame.id === 'number' && acceptIds.has(frame.id)) {
            setTimeout(() => {
              held.released = true;
              ws.send(m);
            }, HOLD_MS);
            return;
          }
          // Case notifications that reach the page ahead of the answer (counted: the test must
          // exercise it).
          if (held.asked && !held.released && frame.type === 'case.changed') held.frames += 1;
        }
        ws.send(m);
      });
    });
    try {
      const page = k();
      await clerk.page.goto(`${t.origin}/clerk.html`);
      await page.goto(`${t.origin}/counter.html`);
      await fillForm(page, '周桂兰', withCheckDigit('32058419520715128'));
      await page.waitForSelector('#step-consent:not(.hidden)');
      await page.click('#btn-consent-agree');
      await page.waitForSelector('#step-wait:not(.hidden), #step-call:not(.hidden)', { timeout: 15_000 });
      const caseId = await page.evaluate(() => (window as unknown as { rvw: { state: { caseView: { id: string } } } }).rvw.state.caseView.id);
      await clerk.page.locator('#queue tr', { hasText: '周' }).getByRole('button', { name: '受理' }).click();
      // The recording started while the clerk page still waited for its answer.
      await expect.poll(async () => (await t.node.cases.getCase(caseId)).recording?.state, { timeout: 15_000 }).toBe('recording');
      await clerk.page.waitForSelector('#call-view:not(.hidden)', { timeout: 15_000 });
      expect(held.frames, 'case notifications that arrived before the accept\u2019s answer').toBeGreaterThan(0);
      for (const p of [page, clerk.page]) {
        await p.waitForSelector('#rec:not(.hidden)', { timeout: 15_000 });
        expect(await p.locator('#rec').innerText()).toBe('录制中');
      }
      await clerk.page.click('#btn-hangup');
      for (const p of [page, clerk.page]) await p.waitForSelector('#rec', { state: 'hidden', timeout: 15_000 });
    } finally {
      await clerk.page.unrouteAll();
    }
  });
});
