import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '@rvw/signaling/auth/Principal';
import { APPLICANT, fakeClock, ITEMS, startCaseWorld, WUJIANG_COUNTER, type CaseWorld } from '../cases/fixtures';
import { startTestNode, type TestNode } from '../harness/testNode';
import { launchPerson, StepShots, type Person } from '../journey/support/person';

/*
 * 我的办件 on the clerk page in Chromium: 25 cases the clerk accepted, all in the same millisecond
 * (a page boundary falls among them), then 加载更多 clicked as the clerk would. Every case must be
 * listed exactly once, in the server's order, and only the recorded one offers 录像回放. Console errors, CSP violations and page errors fail
 * the test (PageGuard).
 */

const HUOQIU = '341522';
const CASES = 25;

describe('clerk page: 我的办件 pages through cases accepted in the same millisecond', () => {
  let t: TestNode;
  let seeding: CaseWorld;
  let clerk: Person;
  const ids: string[] = [];
  const shots = new StepShots(path.resolve('test-results/clerk-history'));

  beforeAll(async () => {
    t = await startTestNode();
    const enrolled = await t.clerk(HUOQIU, [ITEMS.pension], '霍邱窗口 赵敏');
    // A clock that does not move: every 受理 happens in the same millisecond, a day ago.
    const time = fakeClock(new Date(Date.now() - 86_400_000).toISOString());
    seeding = await startCaseWorld(t.redis.url, { clock: time.clock, dataDir: t.dataDir });
    const principal: Principal = { kind: 'staff', role: 'clerk', staffId: enrolled.staffId, name: '霍邱窗口 赵敏', regionCode: HUOQIU, itemCodes: [ITEMS.pension] };
    for (let i = 0; i < CASES; i++) {
      const c = await seeding.service.openCase(WUJIANG_COUNTER, { partnershipId: seeding.demo.partnershipId, itemCode: ITEMS.pension, applicant: APPLICANT });
      await seeding.service.acceptCase(principal, c.id);
      await seeding.service.transition(principal, c.id, { to: 'rejected', reason: '不符合办理条件' });
      ids.push(c.id);
    }
    // One of them was recorded: only its line offers 录像回放.
    await seeding.service.recordRecordingEvent(ids[3]!, 'node-test', 'recording.started', {});
    clerk = await launchPerson('clerk');
    await t.addCookie(clerk.browser.context, enrolled.cookie);
  });

  afterAll(async () => {
    await clerk?.close();
    await seeding?.close();
    await t?.dispose();
  });

  it('shows 20, then the other 5 after 加载更多, each case once', async () => {
    const page = clerk.page;
    await page.goto(`${t.origin}/clerk.html`);
    const shown = () => page.$$eval('#my-cases tr[data-case]', (rows) => rows.map((r) => (r as HTMLElement).dataset.case!));
    await expect.poll(async () => (await shown()).length, { timeout: 15_000 }).toBe(20);
    expect(await page.isVisible('#btn-more-cases')).toBe(true);
    expect(await page.textContent('#my-cases-status')).toBe('已显示 20 件');

    await page.click('#btn-more-cases');
    await expect.poll(async () => (await shown()).length).toBe(CASES);
    const listed = await shown();
    // Equal 受理 times: the server orders by case id, descending; nothing skipped, nothing twice.
    expect(listed).toEqual([...ids].sort().reverse());
    expect(await page.isVisible('#btn-more-cases')).toBe(false);
    expect(await page.textContent('#my-cases-status')).toBe(`已显示 ${CASES} 件（全部）`);
    const playback = page.locator('#my-cases a.recording');
    expect(await playback.count()).toBe(1);
    expect(await playback.getAttribute('href')).toBe(`/recording.html?case=${encodeURIComponent(ids[3]!)}`);
    expect(await page.getAttribute(`#my-cases tr[data-case="${ids[3]}"] a.recording`, 'target')).toBe('_blank');
    await page.locator('#btn-more-cases').evaluate((el) => el.parentElement?.scrollIntoView());
    await shots.take(page, 'all-loaded');
    expect(clerk.guard.takeProblems('我的办件')).toEqual([]);
  });
});
