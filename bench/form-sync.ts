/**
 * bench:form-sync — 同屏帮办 (#18): how long an entry of the application form (申请表) takes from
 * leaving one screen to showing on the other. Two headless Debian Chromiums (a counter and a clerk)
 * in a call through a real node (real Redis, real worker); the pension item's form on both screens;
 * CHANGES entries written into 备注, alternating counter → clerk and clerk → counter. Each is
 * timed by the pages' own marks (`form:sent:<key>:<rev>` where the writer's save leaves,
 * `form:shown:<key>:<rev>` where the other screen shows it; one machine, one clock). Prints one
 * JSON line. Goal (#18): p50 ≤ 300 ms each way. test/e2e/applicationForm.test.ts walks the same
 * form for behaviour; its latencies are printed there, judged here.
 *
 *   npm run bench:form-sync            (CHANGES=20 each way by default)
 */
import { launchChromium } from '../test/harness/browser';
import { acceptAndDecode, queueFromCounter, waitMarks } from '../test/harness/callPages';
import { withCheckDigit } from '../test/harness/idNumber';
import { startTestNode } from '../test/harness/testNode';
import { percentile, printResult } from './runBench';

const CHANGES = Number(process.env.CHANGES ?? 20);
const PENSION_ITEM = { code: '000117005000', name: '城乡居民基本养老保险个人账户一次性支付' };

const t = await startTestNode();
const clerkAuth = await t.clerk('341522', [PENSION_ITEM.code], '霍邱窗口');
const counterAuth = await t.counter('wujiang-kyth-01');
const counterBrowser = await launchChromium();
const clerkBrowser = await launchChromium();
try {
  await t.addCookie(counterBrowser.context, counterAuth.cookie);
  await t.addCookie(clerkBrowser.context, clerkAuth.cookie);
  const k = await counterBrowser.context.newPage();
  const c = await clerkBrowser.context.newPage();
  await c.goto(`${t.origin}/clerk.html`);
  await k.goto(`${t.origin}/counter.html`);
  await queueFromCounter(k, { name: '陈建国', idNumber: withCheckDigit('34152219580312123') }, PENSION_ITEM.name);
  await c.waitForSelector('#queue button.accept', { timeout: 15_000 });
  await acceptAndDecode(k, c, '#queue button.accept');
  for (const p of [c, k]) await p.waitForSelector('#form-card:not(.hidden) #form-remarks');
  // Settled: the call's start is not what is measured.
  await k.waitForTimeout(2000);

  const took = { counterToClerk: [] as number[], clerkToCounter: [] as number[] };
  for (let i = 0; i < 2 * CHANGES; i++) {
    const [from, to, direction] = i % 2 === 0 ? [k, c, 'counterToClerk' as const] : [c, k, 'clerkToCounter' as const];
    const rev = i + 1;
    await from.fill('#form-remarks', `第${rev}稿`);
    // Each mark waited for inside its page (no CDP round trip in the measure).
    const shown = (await waitMarks(to, [`form:shown:remarks:${rev}`], 10_000))[`form:shown:remarks:${rev}`]!;
    const sent = (await waitMarks(from, [`form:sent:remarks:${rev}`], 10_000))[`form:sent:remarks:${rev}`]!;
    took[direction].push(shown - sent);
    // A person types the next entry after reading this one.
    await from.waitForTimeout(200);
  }
  const r = (xs: number[], p: number) => Math.round(percentile(xs, p));
  printResult({
    bench: 'form-sync',
    changes_per_direction: CHANGES,
    counter_to_clerk_p50_ms: r(took.counterToClerk, 50),
    counter_to_clerk_p95_ms: r(took.counterToClerk, 95),
    counter_to_clerk_max_ms: Math.max(...took.counterToClerk),
    clerk_to_counter_p50_ms: r(took.clerkToCounter, 50),
    clerk_to_counter_p95_ms: r(took.clerkToCounter, 95),
    clerk_to_counter_max_ms: Math.max(...took.clerkToCounter),
  });
} finally {
  await counterBrowser.close();
  await clerkBrowser.close();
  await t.dispose();
}
