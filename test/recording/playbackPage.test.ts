import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RECORDING_NOTICE_VERSION } from '@rvw/protocol/recordingNotice';
import { RecordingStore, type RecordingSegmentRecord } from '@rvw/signaling/recording/RecordingStore';
import { sweepRecordings } from '@rvw/signaling/recording/sweepRecordings';
import { silentLogger } from '@rvw/signaling/observability/logger';
import { queueAcceptAndDecode } from '../harness/callPages';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';
import { WsClient } from '../harness/wsClient';
import { launchPerson, StepShots, type Person } from '../journey/support/person';
import { enrolStaff } from '../security/support/fixtures';

const run = promisify(execFile);

const HUOQIU = '341522';
const WUJIANG = '320509';
const PENSION = '000117005000';
const SEGMENT_URL = /\/api\/cases\/[^/]+\/recordings\/[0-9a-f]{64}$/;

/** What window.rvw.player.snapshot() answers (web-client/src/playback/PlaybackPage.ts). */
interface Snapshot {
  playing: boolean;
  position: number;
  duration: number;
  large: string | null;
  tracks: { source: string; kind: string; position: number | null; paused: boolean; currentTime: number; videoWidth: number; readyState: number }[];
}
/**
 * The first snapshot that passes `check`, polled for up to `ms`; otherwise fails with the last one
 * (each track's element state: what held it up shows there).
 */
async function snapshotWhen(page: Page, check: (s: Snapshot) => boolean, ms: number, what: string): Promise<Snapshot> {
  let s = await snapshot(page);
  for (const deadline = Date.now() + ms; !check(s) && Date.now() < deadline; s = await snapshot(page)) await page.waitForTimeout(100);
  expect(check(s), `${what}: not within ${ms} ms; last snapshot ${JSON.stringify(s)}`).toBe(true);
  return s;
}

const snapshot = (page: Page): Promise<Snapshot> => page.evaluate(() => (window as unknown as { rvw: { player: { snapshot(): Snapshot } } }).rvw.player.snapshot());

/** An administrator of one region enrolled with a real passkey ceremony (soft authenticator) and signed in; its session cookie. */
async function enrolAdmin(t: TestNode, regionCode: string, name: string): Promise<{ name: string; value: string }> {
  const staff = await enrolStaff(t, { role: 'admin', regionCodes: [regionCode] }, name);
  return { name: 'rvw_sid', value: staff.api.jar.get('rvw_sid')! };
}

// 录像回放: a real call recorded on the serving region's node (two Chromiums, ffmpeg per track),
// then played back in Chromium by the people allowed — the clerk who handled it (from the closed
// case on the workbench) and 霍邱's administrator (typing the case number on the admin page) —
// and refused to a clerk who did not handle it and to 吴江's administrator, who get no media bytes.
describe('the playback page of a recorded case (recording.html)', () => {
  let t: TestNode;
  let counter: Person;
  let clerk: Person;
  let admin: Person;
  let outsider: Person;
  let store: RecordingStore;
  let caseId: string;
  let caseNumber: string;
  let segments: RecordingSegmentRecord[];
  let origin: number;
  let materialAt: number;
  let counterCookie: { name: string; value: string };
  const shots = new StepShots(path.join('test-results', 'recording-playback'));

  beforeAll(async () => {
    t = await startTestNode({ env: { RVW_RECORDING: 'on' } });
    store = new RecordingStore({ dataDir: t.dataDir, redis: t.node.redis });
    const clerkAuth = await t.clerk(HUOQIU, [PENSION], '霍邱窗口 王敏');
    const counterAuth = await t.counter('wujiang-kyth-01');
    [counter, clerk, admin, outsider] = await Promise.all([launchPerson('counter'), launchPerson('clerk'), launchPerson('admin'), launchPerson('outsider')]);
    counterCookie = counterAuth.cookie;
    await t.addCookie(counter.browser.context, counterAuth.cookie);
    await t.addCookie(clerk.browser.context, clerkAuth.cookie);
    await t.addCookie(admin.browser.context, await enrolAdmin(t, HUOQIU, '霍邱管理员'));
  }, 120_000);

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') for (const p of [counter, clerk, admin, outsider]) if (p) console.log(`[${p.label}]\n${p.guard.log.join('\n')}`);
  });

  afterAll(async () => {
    await Promise.all([counter, clerk, admin, outsider].map((p) => p?.close()));
    await t?.dispose();
  });

  const expectNoProblems = (step: string) => expect([counter, clerk, admin, outsider].flatMap((p) => p.guard.takeProblems(step))).toEqual([]);

  it('a call of ~12 s with a 高拍仪 snapshot, closed by the clerk, is recorded track by track', async () => {
    await counter.page.goto(`${t.origin}/counter.html`);
    await clerk.page.goto(`${t.origin}/clerk.html`);
    await queueAcceptAndDecode(counter.page, clerk.page, { name: '陈建国', idNumber: withCheckDigit('32058419580312123') });
    caseId = await counter.page.evaluate(() => (window as unknown as { rvw: { state: { caseView: { id: string } } } }).rvw.state.caseView.id);
    await clerk.page.waitForTimeout(5000);
    await clerk.page.click('#btn-snapshot');
    await expect.poll(async () => (await t.node.cases.getCase(caseId)).materials.length, { timeout: 10_000 }).toBe(1);
    await clerk.page.waitForTimeout(6000);
    // 不予受理 closes the case and ends the call; the closed case stays on the workbench.
    await clerk.page.click('#btn-reject');
    await clerk.page.waitForSelector('#reason-dialog[open]');
    await clerk.page.fill('#reason-text', '申请人不符合一次性支付条件');
    await clerk.page.click('#reason-confirm');
    await expect.poll(async () => (await t.node.cases.getCase(caseId)).state, { timeout: 10_000 }).toBe('rejected');
    await expect.poll(async () => (await store.list(caseId)).map((s) => s.source).sort(), { timeout: 60_000 }).toEqual(['clerk_face', 'clerk_mic', 'document', 'face', 'mic']);
    segments = await store.list(caseId);
    // The page places media time 0 of a file at its first packet: the files start at 0.
    for (const sg of segments) {
      const start = (await run('ffprobe', ['-v', 'error', '-show_entries', 'format=start_time', '-of', 'csv=p=0', store.pathOf(sg.sha256)])).stdout.trim();
      expect(Number(start), sg.source).toBe(0);
    }
    const record = await t.node.cases.getCase(caseId);
    caseNumber = record.number!;
    origin = Math.min(...segments.map((s) => s.firstPacketAt ?? s.startedAt));
    const events = (await t.node.cases.audit(caseId)).events;
    materialAt = Date.parse(events.find((e) => e.action === 'material.captured')!.at);
    expect(materialAt - origin).toBeGreaterThan(3000);
    expectNoProblems('call');
  }, 120_000);

  it('the clerk opens it from the closed case: every track plays on one timeline, the large view is selectable', async () => {
    const link = clerk.page.locator('#recording-link');
    await link.waitFor({ state: 'visible', timeout: 15_000 });
    const [page] = await Promise.all([clerk.browser.context.waitForEvent('page'), link.click()]);
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    await expect.poll(() => page.locator('#case-number').textContent()).toBe(caseNumber);
    expect(await page.locator('#case-item').textContent()).toBe('城乡居民基本养老保险个人账户一次性支付');
    // Four tiles of video would be the screen share too; this call had three cameras.
    expect(await page.locator('#tiles .tile').evaluateAll((els) => els.map((e) => e.getAttribute('data-source')))).toEqual(['face', 'document', 'clerk_face']);
    expect(await page.locator('#audio-list audio').count()).toBe(2);
    expect(await page.locator('#marker-list button').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')))).toEqual(['accepted', 'material']);

    await page.click('#btn-play');
    await expect.poll(async () => (await snapshot(page)).tracks.filter((tr) => tr.kind === 'video' && tr.videoWidth > 0).length, { timeout: 15_000 }).toBe(3);
    const a = await snapshot(page);
    await page.waitForTimeout(2000);
    const b = await snapshot(page);
    expect(b.playing).toBe(true);
    expect(b.position - a.position).toBeGreaterThan(1200);
    for (const tr of b.tracks) {
      const before = a.tracks.find((x) => x.source === tr.source)!;
      // Every track (cameras and both microphones) advances, and stays with the others.
      expect(tr.currentTime - before.currentTime, tr.source).toBeGreaterThan(1);
      expect(tr.paused, tr.source).toBe(false);
      expect(Math.abs(tr.position! - b.position), tr.source).toBeLessThan(300);
    }
    await shots.take(page, 'clerk-playing');

    // A click on the 高拍仪 tile makes it the large view.
    await page.click('#tiles .tile[data-source="document"]');
    expect((await snapshot(page)).large).toBe('document');
    const big = await page.locator('#tiles .tile[data-source="document"]').boundingBox();
    const small = await page.locator('#tiles .tile[data-source="face"]').boundingBox();
    expect(big!.width).toBeGreaterThan(2 * small!.width);
    await shots.take(page, 'clerk-large-document');
    await page.close();
    expectNoProblems('clerk playback');
  }, 60_000);

  it('霍邱’s administrator types the case number: pause pauses all; a marker moves every track to its time', async () => {
    const page = admin.page;
    await page.goto(`${t.origin}/admin.html`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    await page.fill('#recording-case', caseNumber);
    const [player] = await Promise.all([admin.browser.context.waitForEvent('page'), page.click('#recording-open')]);
    await player.setViewportSize({ width: 1366, height: 768 });
    await player.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    expect(new URL(player.url()).searchParams.get('case')).toBe(caseNumber);
    await expect.poll(() => player.locator('#case-number').textContent()).toBe(caseNumber);

    await player.click('#btn-play');
    await expect.poll(async () => (await snapshot(player)).tracks.every((tr) => !tr.paused), { timeout: 15_000 }).toBe(true);
    await player.waitForTimeout(1500);
    await player.click('#btn-play');
    expect(await player.locator('#btn-play').textContent()).toBe('播放');
    const paused = await snapshot(player);
    expect(paused.playing).toBe(false);
    expect(paused.tracks.map((tr) => [tr.source, tr.paused])).toEqual(paused.tracks.map((tr) => [tr.source, true]));
    await player.waitForTimeout(800);
    const still = await snapshot(player);
    for (const tr of still.tracks) expect(tr.currentTime, tr.source).toBe(paused.tracks.find((x) => x.source === tr.source)!.currentTime);

    // 拍照/材料: every track goes to the snapshot's moment of the call, within 0.3 s.
    const target = materialAt - origin;
    await player.click('#marker-list button[data-kind="material"]');
    const at = await snapshotWhen(player, (s) => s.tracks.every((tr) => tr.position !== null && Math.abs(tr.position - target) < 300), 15_000, `every track at the material marker (${target} ms)`);
    expect(at.tracks.map((tr) => tr.source)).toEqual(segments.map((s) => s.source).sort((x, y) => ['face', 'document', 'clerk_face', 'mic', 'clerk_mic'].indexOf(x) - ['face', 'document', 'clerk_face', 'mic', 'clerk_mic'].indexOf(y)));
    expect(Math.abs(at.position - target)).toBeLessThan(300);
    const positions = at.tracks.map((tr) => tr.position!);
    expect(Math.max(...positions) - Math.min(...positions)).toBeLessThan(300);
    await shots.take(player, 'admin-at-material-marker');

    // The pin on the bar does the same, while playing: 受理 (before the first packet) is the start.
    await player.click('#btn-play');
    await player.click('#timeline-markers .timeline-marker[data-kind="accepted"]');
    await expect.poll(async () => (await snapshot(player)).position, { timeout: 5000 }).toBeLessThan(1500);
    // A track whose first packet came later waits (shows nothing) until the timeline reaches it.
    const startOf = (source: string) => Math.min(...segments.filter((s) => s.source === source).map((s) => (s.firstPacketAt ?? s.startedAt) - origin));
    for (const wait of [300, 1500, 2500]) {
      await player.waitForTimeout(wait);
      const playing = await snapshot(player);
      expect(playing.playing).toBe(true);
      for (const tr of playing.tracks) {
        if (startOf(tr.source) > playing.position + 100) expect(tr.position, `${tr.source} before its start`).toBeNull();
        else if (startOf(tr.source) < playing.position - 500) {
          expect(Math.abs(tr.position! - playing.position), `${tr.source} at ${playing.position}`).toBeLessThan(300);
          expect(tr.paused, tr.source).toBe(false);
        }
      }
    }

    // Played to the end, it stops there (a file a little shorter than its listed span holds nothing up).
    const bar = (await player.locator('#timeline').boundingBox())!;
    await player.mouse.click(bar.x + bar.width * 0.97, bar.y + bar.height / 2);
    const end = await snapshotWhen(player, (s) => !s.playing, 20_000, 'stopped at the end after the seek to 97 %');
    expect(end.position).toBe(end.duration);
    expect(await player.locator('#btn-play').textContent()).toBe('播放');
    // Every track was recorded until the hang-up: at the end each holds its last frame, and no
    // tile calls the last instant a gap (the tracks' segments closed milliseconds apart).
    expect(await player.locator('#tiles .tile .track-note, #audio-list .track-note').evaluateAll((els) => els.map((e) => e.textContent))).toEqual(['', '', '', '', '']);
    expect(await player.locator('#tiles .tile.idle').count()).toBe(0);
    for (const tr of end.tracks) if (tr.kind === 'video') expect(tr.videoWidth, `${tr.source} at the end`).toBeGreaterThan(0);
    await shots.take(player, 'admin-at-end');
    await player.close();
    expectNoProblems('admin playback');
  }, 90_000);

  it('a clerk who did not handle the case and 吴江’s administrator see 无权查看 and get no media bytes', async () => {
    const otherClerk = await t.clerk(HUOQIU, [PENSION], '霍邱窗口 李强');
    const wujiangAdmin = await enrolAdmin(t, WUJIANG, '吴江管理员');
    const sha = segments[0]!.sha256;
    for (const [who, cookie] of [['other clerk', otherClerk.cookie], ['吴江 admin', wujiangAdmin]] as const) {
      await outsider.browser.context.clearCookies();
      await t.addCookie(outsider.browser.context, cookie);
      const media: string[] = [];
      const onResponse = (r: { url(): string; status(): number }) => {
        if (SEGMENT_URL.test(r.url())) media.push(`${r.status()} ${r.url()}`);
      };
      outsider.page.on('response', onResponse);
      for (const ref of [caseId, caseNumber]) {
        await outsider.page.goto(`${t.origin}/recording.html?case=${encodeURIComponent(ref)}`);
        await outsider.page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
        expect(await outsider.page.locator('#problem-title').textContent(), who).toBe('无权查看');
        expect(await outsider.page.locator('#problem-text').textContent(), who).toContain('仅限办理地区管理员和受理该办件的工作人员');
        expect(await outsider.page.locator('#player').isVisible()).toBe(false);
      }
      await shots.take(outsider.page, `refused-${who === 'other clerk' ? 'clerk' : 'admin'}`);
      // Even knowing a segment's hash, its bytes are refused.
      const direct = await outsider.page.evaluate(async (url) => {
        const r = await fetch(url);
        return { status: r.status, type: r.headers.get('content-type') };
      }, `/api/cases/${caseId}/recordings/${sha}`);
      expect(direct, who).toEqual({ status: 403, type: expect.stringMatching(/json/) });
      outsider.page.off('response', onResponse);
      expect(media.filter((m) => !m.startsWith('403')), who).toEqual([]);
    }
    const viewers = (await t.node.cases.audit(caseId)).events.filter((e) => e.action === 'recording.viewed').map((e) => e.actor.role);
    expect(new Set(viewers)).toEqual(new Set(['clerk', 'admin']));
    // The only console lines are Chromium's own note of each refused request (2 pages + 1 fetch, per person).
    const refusals = outsider.guard.takeProblems('refused');
    expect(refusals.filter((p) => !/console error: Failed to load resource: the server responded with a status of 403 \(Forbidden\) \(http:\/\/[^)]+\/recordings(\/[0-9a-f]{64})?\)$/.test(p))).toEqual([]);
    expect(refusals).toHaveLength(6);
    expectNoProblems('refused');
  }, 60_000);

  it('says 本案件没有录像 for a case without a recording, and 录像已过保存期限 once swept', async () => {
    const counterWs = await WsClient.connect(t.origin, counterCookie);
    const unrecorded = (await counterWs.request('queue.join', { partnershipId: 'wujiang-huoqiu', itemCode: PENSION, applicant: { name: '刘桂英', idNumber: withCheckDigit('32058419580303123') }, recordingConsent: { noticeVersion: RECORDING_NOTICE_VERSION } })).id;
    counterWs.close();
    const page = admin.page;
    await page.goto(`${t.origin}/recording.html?case=${unrecorded}`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    expect(await page.locator('#problem-title').textContent()).toBe('本案件没有录像');

    // Retention passed: the files are deleted, the chain says recording.expired.
    const swept = await sweepRecordings({ store, cases: t.node.cases, nodeId: segments[0]!.nodeId, retentionDays: 1, logger: silentLogger(), now: Date.now() + 2 * 86_400_000 });
    expect(swept).toBe(5);
    await page.goto(`${t.origin}/recording.html?case=${encodeURIComponent(caseNumber)}`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    expect(await page.locator('#problem-title').textContent()).toBe('录像已过保存期限');
    expect(await page.locator('#problem-text').textContent()).toContain('哈希值仍保留在办件的审计记录中');
    await shots.take(page, 'expired');
    expectNoProblems('no recording');
  }, 60_000);
});
