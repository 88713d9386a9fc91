import { readFile } from 'node:fs/promises';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { Download, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import type { Partnership } from '@rvw/protocol/catalog';
import { DURATION_BUCKETS_S, RATING_LEVEL_LABELS, STATS_DIMENSION_LABELS } from '@rvw/protocol/stats';
import type { Principal } from '@rvw/signaling/auth/Principal';
import { ApiClient, tokenOf } from '../auth/apiClient';
import { SoftAuthenticator } from '../auth/softAuthenticator';
import { APPLICANT, fakeClock, ITEMS, pngBytes, startCaseWorld, WUJIANG_COUNTER, type CaseWorld } from '../cases/fixtures';
import { launchChromium, type TestBrowser } from '../harness/browser';
import { startTestNode, type TestNode } from '../harness/testNode';
import { PageGuard } from '../journey/support/pageGuard';
import { StepShots } from '../journey/support/person';

/*
 * The administrator's 统计 tab in Chromium, against a real node. Cases are seeded through the
 * case use cases (CaseService) on the node's Redis, with a clock set back over the last eight
 * days; what the administrators do — open the tab, type a range, choose, export, type a 整改 — is
 * done on the page. Every figure shown is compared with figures recomputed here from the raw
 * case records (not through StatsReader), the downloads are parsed back, each chart's canvas must
 * have ink, and any console error, CSP violation or page error fails the test (PageGuard).
 */

const HUOQIU = '341522';
const WUJIANG = '320509';
const KUNSHAN = '320583';
/** A region in no partnership. */
const CHAOYANG = '110105';
const WH = 'wujiang-huoqiu';
const KH = 'kunshan-huoqiu';

const KUNSHAN_COUNTER: Principal = { kind: 'counter', counterId: 'kunshan-kyth-01', hallId: 'kunshan-zwfwzx', regionCode: KUNSHAN, name: '跨域通办窗口 1 号' };
const REFUSED_FOLLOW_UP = '差评整改由被评价一方所在地区的管理员填写';

const DAY_MS = 86_400_000;
/** The China calendar day of an instant. */
const cst = (at: string | number) => new Date((typeof at === 'string' ? Date.parse(at) : at) + 8 * 3_600_000).toISOString().slice(0, 10);
/** The China day `n` days before `day`. */
const daysBefore = (day: string, n: number) => cst(Date.parse(`${day}T12:00:00+08:00`) - n * DAY_MS);
const secs = (a: string, b: string) => Math.max(0, Math.round((Date.parse(b) - Date.parse(a)) / 1000));

/** The figures an administrator should see, computed from the records alone. */
interface Expected {
  opened: number;
  accepted: number;
  completed: number;
  rejected: number;
  abandoned: number;
  poor: number;
  waitMean: number | null;
  /** Bucket upper bounds (s), -1 beyond the last, null without cases. */
  waitP50: number | null;
  waitP90: number | null;
  handlingMean: number | null;
  /** Ratings given, both targets, by level 1 … 5. */
  levels: number[];
  ratings: number;
  waiversOutstanding: number;
  waiversOverdue: number;
}

function bucketBound(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const v = sorted[Math.ceil((p / 100) * sorted.length) - 1]!;
  return DURATION_BUCKETS_S.find((b) => v <= b) ?? -1;
}

function expectedFigures(records: CaseRecord[], from: string, to: string, now: number): Expected {
  const inRange = (iso: string | undefined) => iso !== undefined && cst(iso) >= from && cst(iso) <= to;
  const closedAs = (state: string) => records.filter((r) => r.state === state && inRange(r.closedAt)).length;
  const accepted = records.filter((r) => inRange(r.acceptedAt));
  const handled = records.filter((r) => (r.state === 'completed' || r.state === 'rejected') && r.acceptedAt && inRange(r.closedAt)).map((r) => secs(r.acceptedAt!, r.closedAt!));
  const given = records.flatMap((r) => [r.ratings.clerk, r.ratings.counter]).filter((x) => x !== undefined && inRange(x.at));
  const waived = records.filter((r) => r.state !== 'rejected' && r.state !== 'abandoned').flatMap((r) => r.checklist.filter((l) => l.status === 'waived' && l.waiver));
  return {
    opened: records.filter((r) => inRange(r.createdAt)).length,
    accepted: accepted.length,
    completed: closedAs('completed'),
    rejected: closedAs('rejected'),
    abandoned: closedAs('abandoned'),
    poor: given.filter((g) => g!.score <= 2).length,
    waitMean: accepted.length ? Math.round(accepted.reduce((n, r) => n + secs(r.createdAt, r.acceptedAt!), 0) / accepted.length) : null,
    waitP50: bucketBound(accepted.map((r) => secs(r.createdAt, r.acceptedAt!)), 50),
    waitP90: bucketBound(accepted.map((r) => secs(r.createdAt, r.acceptedAt!)), 90),
    handlingMean: handled.length ? Math.round(handled.reduce((a, b) => a + b, 0) / handled.length) : null,
    levels: [1, 2, 3, 4, 5].map((s) => given.filter((g) => g!.score === s).length),
    ratings: given.length,
    waiversOutstanding: waived.length,
    waiversOverdue: waived.filter((l) => Date.parse(`${l.waiver!.deadline}T00:00:00+08:00`) + DAY_MS <= now).length,
  };
}

/** A duration as the page words it, back in seconds ("1 小时 30 分钟" → 5400); "—" is null, "超过 24 小时" is -1. */
function secondsOf(text: string): number | null {
  if (text === '—') return null;
  if (text === '超过 24 小时') return -1;
  const n = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
  return n(/(\d+) 小时/) * 3600 + n(/(\d+) 分/) * 60 + n(/(\d+) 秒/);
}
const countOf = (text: string) => Number(text.replace(/,/g, ''));

/** RFC 4180 CSV (quoted fields with doubled quotes), after the BOM. */
function parseCsv(text: string): string[][] {
  expect(text.charCodeAt(0), 'CSV starts with a UTF-8 BOM').toBe(0xfeff);
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 1; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '"' && text[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && c === ',') {
      row.push(cell);
      cell = '';
    } else if (!quoted && c === '\r' && text[i + 1] === '\n') {
      rows.push([...row, cell]);
      row = [];
      cell = '';
      i++;
    } else {
      cell += c;
    }
  }
  if (cell || row.length) rows.push([...row, cell]);
  return rows;
}

async function sheetRows(file: Buffer, name: string): Promise<unknown[][]> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(file as unknown as ArrayBuffer);
  const sheet = book.getWorksheet(name);
  expect(sheet, `worksheet ${name}`).toBeDefined();
  const rows: unknown[][] = [];
  sheet!.eachRow((r) => rows.push((r.values as unknown[]).slice(1)));
  return rows;
}

describe('admin page: 统计 tab', () => {
  let t: TestNode;
  let seeding: CaseWorld;
  let browser: TestBrowser;
  let guard: PageGuard;
  let page: Page;
  const ids: string[] = [];
  const shots = new StepShots(path.join('test-results', 'admin-stats'));
  const admins = {} as Record<'huoqiu' | 'wujiang' | 'chaoyang', { staffId: string; cookie: { name: string; value: string } }>;
  const clerkIds: string[] = [];
  const today = cst(Date.now());
  /** The range the administrator types: the last seven days (the seeding goes back eight). */
  const typedFrom = daysBefore(today, 6);

  const records = async () => (await t.node.cases.store.getMany(ids)) as CaseRecord[];
  const problems = (step: string, allowed: RegExp[] = []) => guard.takeProblems(step).filter((p) => !allowed.some((re) => re.test(p)));

  /** Invites, enrols and signs in an administrator of `regionCodes` (the way t.clerk does for clerks). */
  async function enrolAdmin(regionCodes: string[], name: string) {
    const invite = await t.admin.call<{ url: string }>('POST', '/api/admin/invites', { role: 'admin', regionCodes });
    if (!invite.ok) throw new Error(`invite failed: ${JSON.stringify(invite.error)}`);
    const api = new ApiClient(t.origin, t.origin);
    const key = new SoftAuthenticator(t.origin);
    const enrolled = await api.enrol(key, tokenOf(invite.data.url), name);
    if (!enrolled.ok) throw new Error(`admin enrolment failed: ${JSON.stringify(enrolled.error)}`);
    const signedIn = await api.signIn(key);
    if (!signedIn.ok) throw new Error(`admin sign-in failed: ${JSON.stringify(signedIn.error)}`);
    return { staffId: enrolled.data.staffId, cookie: { name: 'rvw_sid', value: api.jar.get('rvw_sid')! } };
  }

  /** Seeds eight days of cases in both partnerships through the case use cases, on a clock set back. */
  async function seedCases(): Promise<void> {
    const time = fakeClock();
    seeding = await startCaseWorld(t.redis.url, { clock: time.clock, dataDir: t.dataDir });
    const s = seeding.service;
    const clerks = clerkIds.map((staffId, i): Principal => ({ kind: 'staff', role: 'clerk', staffId, name: `clerk ${i}`, regionCode: HUOQIU, itemCodes: [ITEMS.pension, ITEMS.certificate] }));
    let seed = 20250714;
    const random = () => {
      // mulberry32: the same spread on every run.
      seed = (seed + 0x6d2b79f5) | 0;
      let x = seed;
      x = Math.imul(x ^ (x >>> 15), x | 1);
      x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
    // What happens to the n-th case (cycling), and how the applicant rates it.
    const FATES = [
      { end: 'completed', clerk: 5, counter: 5 },
      { end: 'completed', clerk: 1, counter: 4 },
      { end: 'rejected', clerk: 2 },
      { end: 'abandoned' },
      { end: 'completed', clerk: 4, counter: 2 },
      { end: 'in_session' },
      { end: 'completed', clerk: 3 },
      { end: 'rejected', clerk: 5 },
    ] as const;
    let n = 0;
    for (let back = 8; back >= 1; back--) {
      const day = daysBefore(today, back);
      for (const [partnershipId, counter] of [[WH, WUJIANG_COUNTER], [KH, KUNSHAN_COUNTER]] as const) {
        time.set(`${day}T09:00:00+08:00`);
        for (let k = 0; k < 3; k++, n++) {
          const fate = FATES[n % FATES.length]!;
          time.advance(Math.floor(random() * 900));
          const opened = await s.openCase(counter, { partnershipId, itemCode: n % 3 === 0 ? ITEMS.pension : ITEMS.certificate, applicant: APPLICANT });
          ids.push(opened.id);
          time.advance(20 + Math.floor(random() * 1500));
          if (fate.end === 'abandoned') {
            await s.leaveQueue(counter, opened.id);
            continue;
          }
          const clerk = clerks[n % clerks.length]!;
          const accepted = await s.acceptCase(clerk, opened.id);
          time.advance(60 + Math.floor(random() * 2400));
          if (fate.end === 'in_session') continue;
          if (fate.end === 'rejected') {
            await s.transition(clerk, opened.id, { to: 'rejected', reason: '不符合办理条件' });
          } else {
            // 容缺: the mandatory materials are waived, due tomorrow (overdue by now) or in ten days.
            await s.transition(clerk, opened.id, { to: 'pending_materials', reason: '缺少材料' });
            const deadline = n % 2 === 0 ? daysBefore(day, -1) : daysBefore(today, -10);
            for (const line of accepted.checklist.filter((l) => l.mandatory)) await s.waiveMaterial(clerk, opened.id, { materialId: line.materialId, note: '后补', deadline });
            await s.transition(clerk, opened.id, { to: 'in_session' });
            await s.confirmSignature(counter, opened.id, { png: pngBytes(`签名${opened.id}`) });
            time.advance(Math.floor(random() * 600));
            await s.transition(clerk, opened.id, { to: 'completed' });
          }
          time.advance(30);
          const comment = (score: number) => (score <= 2 ? { comment: `等候时间太长，工作人员解释不清（${opened.number}）` } : {});
          if ('clerk' in fate) await s.rate(counter, opened.id, { target: 'clerk', score: fate.clerk, ...comment(fate.clerk) });
          if ('counter' in fate) await s.rate(counter, opened.id, { target: 'counter', score: fate.counter, ...comment(fate.counter) });
        }
      }
    }
    // Waiting now (the live view): through the node itself, on its own clock.
    for (const [partnershipId, counter, itemCode] of [
      [WH, WUJIANG_COUNTER, ITEMS.pension],
      [WH, WUJIANG_COUNTER, ITEMS.pension],
      [KH, KUNSHAN_COUNTER, ITEMS.certificate],
    ] as const) {
      ids.push((await t.node.cases.openCase(counter, { partnershipId, itemCode, applicant: APPLICANT })).id);
    }
  }

  beforeAll(async () => {
    t = await startTestNode();
    // A second partnership (昆山—霍邱) and a region in none (北京市朝阳区).
    const catalog = t.node.catalog;
    await catalog.insert('region', { code: KUNSHAN, name: '苏州市昆山市', province: '江苏省' });
    await catalog.insert('region', { code: CHAOYANG, name: '北京市朝阳区', province: '北京市' });
    await catalog.insert('hall', { id: 'kunshan-zwfwzx', regionCode: KUNSHAN, name: '昆山市政务服务中心', address: '江苏省苏州市昆山市前进西路' });
    await catalog.insert('counter', { id: 'kunshan-kyth-01', hallId: 'kunshan-zwfwzx', name: '跨域通办窗口 1 号' });
    const wh = await catalog.require('partnership', WH);
    const kh: Partnership = { ...wh, id: KH, name: '昆山—霍邱跨域通办', regions: [KUNSHAN, HUOQIU], offers: [{ servingRegion: HUOQIU, applicantRegion: KUNSHAN, itemCodes: [ITEMS.pension, ITEMS.certificate] }] };
    await catalog.insert('partnership', kh);

    for (const name of ['霍邱窗口 李娜', '霍邱窗口 王强']) clerkIds.push((await t.clerk(HUOQIU, [ITEMS.pension, ITEMS.certificate], name)).staffId);
    admins.huoqiu = await enrolAdmin([HUOQIU], '霍邱县管理员');
    admins.wujiang = await enrolAdmin([WUJIANG], '吴江区管理员');
    admins.chaoyang = await enrolAdmin([CHAOYANG], '朝阳区管理员');
    await seedCases();

    // Not in Beijing time on purpose: the default range must still be Beijing days.
    // (launchChromium hands its options to launchPersistentContext, which takes the locale.)
    const elsewhere = { env: { ...process.env, TZ: 'America/Los_Angeles' }, locale: 'zh-CN' };
    browser = await launchChromium([], elsewhere);
    guard = await PageGuard.install(browser.context, 'admin');
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    await page.setViewportSize({ width: 1366, height: 768 });
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    console.log(guard.log.join('\n'));
    await shots.take(page, `failed-${ctx.task.name.slice(0, 30).replace(/\W+/g, '-')}`).catch(() => undefined);
  });

  afterAll(async () => {
    await browser?.close();
    await seeding?.close();
    await t?.dispose();
  });

  /** Signs the browser in as `cookie`'s administrator and opens the 统计 tab by clicking it. */
  async function openStatsAs(cookie: { name: string; value: string }): Promise<void> {
    await browser.context.clearCookies();
    await t.addCookie(browser.context, cookie);
    await page.goto(`${t.origin}/admin.html`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    await page.click('#tabs button[data-tab="stats"]');
    await page.waitForSelector('#tab-stats:not(.hidden)');
    await waitForQuery();
  }

  /** Waits until the figures shown are those of the form's current query. */
  async function waitForQuery(): Promise<void> {
    await expect
      .poll(() =>
        page.evaluate(() => {
          const form = document.getElementById('stats-query') as HTMLFormElement;
          const q = new URLSearchParams({ from: (form.elements.namedItem('from') as HTMLInputElement).value, to: (form.elements.namedItem('to') as HTMLInputElement).value });
          const p = (form.elements.namedItem('partnershipId') as HTMLSelectElement).value;
          if (p) q.set('partnershipId', p);
          return form.dataset.shown === q.toString() && !form.querySelector<HTMLButtonElement>('button[type="submit"]')!.disabled;
        }),
      )
      .toBe(true);
  }

  async function shownTotals(): Promise<Record<string, string>> {
    return page.$$eval('#stats-figures [data-figure]', (els) => Object.fromEntries(els.map((e) => [(e as HTMLElement).dataset.figure!, e.textContent!.trim()])));
  }

  /** The totals on screen against the figures recomputed from the records. */
  function expectTotals(shown: Record<string, string>, want: Expected): void {
    expect({
      opened: countOf(shown.opened!),
      accepted: countOf(shown.accepted!),
      completed: countOf(shown.completed!),
      rejected: countOf(shown.rejected!),
      abandoned: countOf(shown.abandoned!),
      poor: countOf(shown.poor!),
      waiversOutstanding: countOf(shown.waiversOutstanding!),
      waiversOverdue: countOf(shown.waiversOverdue!),
    }).toEqual({
      opened: want.opened,
      accepted: want.accepted,
      completed: want.completed,
      rejected: want.rejected,
      abandoned: want.abandoned,
      poor: want.poor,
      waiversOutstanding: want.waiversOutstanding,
      waiversOverdue: want.waiversOverdue,
    });
    // Percentiles are bucket bounds, shown as "≤ …"; the mean in words (whole minutes from an hour on).
    for (const [key, bound] of [['waitP50', want.waitP50], ['waitP90', want.waitP90]] as const) {
      if (bound !== null && bound > 0) expect(shown[key]).toMatch(/^≤ /);
      expect(secondsOf(shown[key]!.replace(/^≤ /, '')), key).toBe(bound);
    }
    expect(secondsOf(shown.handlingMean!), 'handlingMean').toBe(asShown(want.handlingMean));
    expect(secondsOf(shown.waitMean!), 'waitMean').toBe(asShown(want.waitMean));
  }

  /** A mean as the page words it: to the second below an hour, whole minutes from an hour on. */
  const asShown = (mean: number | null) => (mean === null || mean < 3600 ? mean : Math.floor(mean / 60) * 60);

  /** Pixels of each chart's canvases: painted at all, and in colour (bars, lines). */
  async function inkOf(selector: string): Promise<{ canvases: number; pixels: number; ink: number; coloured: number }> {
    return page.evaluate((sel) => {
      let pixels = 0;
      let ink = 0;
      let coloured = 0;
      const canvases = [...document.querySelectorAll<HTMLCanvasElement>(`${sel} canvas`)];
      for (const c of canvases) {
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < d.length; i += 4) {
          pixels++;
          const [r, g, b, a] = [d[i]!, d[i + 1]!, d[i + 2]!, d[i + 3]!];
          if (a < 32 || (r > 240 && g > 240 && b > 240)) continue;
          ink++;
          if (Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured++;
        }
      }
      return { canvases: canvases.length, pixels, ink, coloured };
    }, selector);
  }

  it('shows the provincial administrator the range typed: totals, charts with ink, breakdown and 差评 equal to the records', async () => {
    await openStatsAs({ name: 'rvw_sid', value: t.admin.jar.get('rvw_sid')! });
    // The default: the last 30 Beijing days, today included (the browser runs on Los Angeles time).
    expect(await page.inputValue('#stats-from')).toBe(daysBefore(today, 29));
    expect(await page.inputValue('#stats-to')).toBe(today);
    const all = await records();
    expectTotals(await shownTotals(), expectedFigures(all, daysBefore(today, 29), today, Date.now()));

    // The administrator types a shorter range: the two oldest days drop out.
    await page.fill('#stats-from', typedFrom);
    await page.fill('#stats-to', today);
    await page.click('#stats-submit');
    await waitForQuery();
    const want = expectedFigures(all, typedFrom, today, Date.now());
    expectTotals(await shownTotals(), want);
    expect(want.opened).toBeLessThan(all.length);
    expect(want.poor).toBeGreaterThanOrEqual(2);
    expect(await page.textContent('#stats-scope')).toBe(`${typedFrom} 至 ${today} · 全部 2 个合作关系`);

    // Charts: ECharts on canvas, painted, with coloured bars and lines.
    for (const sel of ['#stats-chart-days', '#stats-chart-ratings']) {
      const ink = await inkOf(sel);
      expect(ink.canvases, sel).toBeGreaterThanOrEqual(1);
      expect(ink.ink, `${sel} ${JSON.stringify(ink)}`).toBeGreaterThan(ink.pixels * 0.01);
      expect(ink.coloured, `${sel} ${JSON.stringify(ink)}`).toBeGreaterThan(1000);
    }
    // Hovering shows the tooltip, drawn on the canvas (an HTML tooltip would break the CSP: PageGuard).
    const still = await inkOf('#stats-chart-ratings');
    await page.hover('#stats-chart-ratings', { position: { x: 120, y: 200 } });
    await expect.poll(async () => (await inkOf('#stats-chart-ratings')).ink).not.toBe(still.ink);
    await shots.take(page, 'tooltip');

    // Breakdown: the dimensions are the protocol's; per partnership and per clerk, equal to the records.
    expect(await page.$$eval('#stats-dimension option', (os) => os.map((o) => [(o as HTMLOptionElement).value, o.textContent]))).toEqual(Object.entries(STATS_DIMENSION_LABELS));
    const rowFigures = (key: string) =>
      page.$$eval(`#stats-breakdown-body tr[data-key="${key}"] [data-figure]`, (els) => Object.fromEntries(els.map((e) => [(e as HTMLElement).dataset.figure!, e.textContent!.trim()])));
    for (const pid of [WH, KH]) {
      const f = await rowFigures(pid);
      const w = expectedFigures(all.filter((r) => r.partnershipId === pid), typedFrom, today, Date.now());
      expect([f.opened, f.completed, f.rejected, f.abandoned, f.poor, f.ratings].map((x) => countOf(x!)), pid).toEqual([w.opened, w.completed, w.rejected, w.abandoned, w.poor, w.ratings]);
      expect([secondsOf(f.waitMean!), secondsOf(f.handlingMean!)], pid).toEqual([asShown(w.waitMean), asShown(w.handlingMean)]);
    }
    await page.selectOption('#stats-dimension', 'clerk');
    expect(await page.textContent('#stats-breakdown-head')).toContain('受理人员');
    for (const [i, staffId] of clerkIds.entries()) {
      const f = await rowFigures(staffId);
      const w = expectedFigures(all.filter((r) => r.clerkId === staffId), typedFrom, today, Date.now());
      expect([f.accepted, f.completed, f.rejected, f.poor].map((x) => countOf(x!)), staffId).toEqual([w.accepted, w.completed, w.rejected, w.poor]);
      expect([secondsOf(f.waitMean!), secondsOf(f.handlingMean!)], staffId).toEqual([asShown(w.waitMean), asShown(w.handlingMean)]);
      // Opening is the counter's: a clerk's row has no 新建.
      expect(f.opened).toBe('—');
      expect(await page.textContent(`#stats-breakdown-body tr[data-key="${staffId}"] td:first-child`)).toBe(['霍邱窗口 李娜', '霍邱窗口 王强'][i]);
    }

    // 差评: every rating at level 1–2 in the range, with the protocol's level names and the comments.
    const poor = all.flatMap((r) =>
      (['clerk', 'counter'] as const)
        .filter((target) => (r.ratings[target]?.score ?? 5) <= 2 && cst(r.ratings[target]!.at) >= typedFrom)
        .map((target) => ({ caseId: r.id, target, number: r.number, score: r.ratings[target]!.score, comment: r.ratings[target]!.comment })),
    );
    const rows = page.locator('#stats-poor-body tr[data-case]');
    expect(await rows.count()).toBe(poor.length);
    for (const p of poor) {
      const row = page.locator(`#stats-poor-body tr[data-case="${p.caseId}"][data-target="${p.target}"]`);
      const cells = await row.locator(':scope > td').allTextContents();
      expect(cells[0]).toBe(p.number);
      expect(cells[2]).toBe(RATING_LEVEL_LABELS[p.score - 1]);
      expect(cells[5]).toBe(p.comment);
      expect(await row.locator('button:has-text("提交整改")').count()).toBe(1);
    }

    // Live: who waits now, per queue, from the records' states.
    const queued = all.filter((r) => r.state === 'queued');
    expect(countOf((await page.textContent('#stats-live [data-live="waiting"]'))!)).toBe(queued.length);
    const waitingIn = (pid: string, item: string) => String(queued.filter((r) => r.partnershipId === pid && r.itemCode === item).length);
    expect(await page.textContent(`#stats-live-body tr[data-queue="${WH}/${HUOQIU}/${ITEMS.pension}"] [data-figure="waiting"]`)).toBe(waitingIn(WH, ITEMS.pension));
    expect(await page.textContent(`#stats-live-body tr[data-queue="${KH}/${HUOQIU}/${ITEMS.certificate}"] [data-figure="waiting"]`)).toBe(waitingIn(KH, ITEMS.certificate));
    expect(await page.textContent('#stats-live [data-live="longestWait"]')).toMatch(/^\d+ (秒|分)/);
    // No clerk page is open in this test: nobody online, nobody busy.
    expect(await page.textContent('#stats-live [data-live="clerksOnline"]')).toBe('0');
    // 刷新 after one more applicant queued.
    ids.push((await t.node.cases.openCase(KUNSHAN_COUNTER, { partnershipId: KH, itemCode: ITEMS.pension, applicant: APPLICANT })).id);
    await page.click('#stats-live-refresh');
    await expect.poll(async () => countOf((await page.textContent('#stats-live [data-live="waiting"]'))!)).toBe(queued.length + 1);

    // Nothing unreadable anywhere in the tab.
    expect(await page.locator('#tab-stats').innerText()).not.toMatch(/undefined|NaN|null|\[object/);
    await shots.take(page, 'top');
    await page.locator('#stats-figures').scrollIntoViewIfNeeded();
    await shots.take(page, 'totals');
    await page.locator('#stats-breakdown-body').scrollIntoViewIfNeeded();
    await shots.take(page, 'breakdown-and-poor');
    await page.setViewportSize({ width: 1366, height: 3400 });
    await shots.take(page, 'whole-tab');
    await page.setViewportSize({ width: 1366, height: 768 });
    expect(problems('figures')).toEqual([]);
  });

  it('exports CSV and Excel files of exactly the figures shown', async () => {
    // Still the provincial administrator's page, range typed above; now one partnership is chosen.
    await page.selectOption('#stats-partnership', WH);
    await page.click('#stats-submit');
    await waitForQuery();
    const all = (await records()).filter((r) => r.partnershipId === WH);
    const want = expectedFigures(all, typedFrom, today, Date.now());
    expectTotals(await shownTotals(), want);

    const download = async (id: string): Promise<{ name: string; body: Buffer }> => {
      const [d]: [Download, void] = await Promise.all([page.waitForEvent('download'), page.click(`#${id}`)]);
      return { name: d.suggestedFilename(), body: await readFile((await d.path())!) };
    };
    const byHeader = (header: unknown[], row: unknown[]) => (name: string) => row[header.indexOf(name)];
    const totalsOf = (col: (name: string) => unknown) => ['新建', '受理', '办结', '不予受理', '离开队列', '差评'].map((n) => Number(col(n)));
    const wantTotals = [want.opened, want.accepted, want.completed, want.rejected, want.abandoned, want.poor];

    // 办件统计: the 合计 row, one row per day of the range.
    const figuresCsv = await download('stats-export-figures-csv');
    expect(figuresCsv.name).toBe(`banjian-tongji-${typedFrom}-${today}.csv`);
    const csv = parseCsv(figuresCsv.body.toString('utf8'));
    const total = csv.find((r) => r[0] === '合计')!;
    expect(total[1]).toBe(`${typedFrom} 至 ${today}`);
    expect(totalsOf(byHeader(csv[0]!, total))).toEqual(wantTotals);
    expect(csv.filter((r) => r[0] === '日期').length).toBe(7);
    expect(csv.filter((r) => r[0] === '合作关系').map((r) => r[1])).toEqual(['吴江—霍邱跨域通办']);

    const figuresXlsx = await download('stats-export-figures-xlsx');
    expect(figuresXlsx.name).toBe(`banjian-tongji-${typedFrom}-${today}.xlsx`);
    const sheet = await sheetRows(figuresXlsx.body, '办件统计');
    expect(totalsOf(byHeader(sheet[0]!, sheet.find((r) => r[0] === '合计')!))).toEqual(wantTotals);

    // 好差评: one row per rating of the range; the 差评 are those of the page, 待整改.
    const given = all.flatMap((r) => (['clerk', 'counter'] as const).map((target) => ({ r, rating: r.ratings[target] }))).filter((x) => x.rating && cst(x.rating.at) >= typedFrom);
    const poorNumbers = given.filter((x) => x.rating!.score <= 2).map((x) => x.r.number).sort();
    const ratingsCsv = parseCsv((await download('stats-export-ratings-csv')).body.toString('utf8'));
    const [head, ...lines] = ratingsCsv;
    expect(lines.length).toBe(given.length);
    const col = (row: string[], name: string) => row[head!.indexOf(name)]!;
    expect(lines.filter((l) => Number(col(l, '分值')) <= 2).map((l) => col(l, '办件编号')).sort()).toEqual(poorNumbers);
    for (const l of lines) expect(col(l, '等级')).toBe(RATING_LEVEL_LABELS[Number(col(l, '分值')) - 1]);
    expect(lines.filter((l) => Number(col(l, '分值')) <= 2).every((l) => col(l, '整改情况') === '待整改')).toBe(true);

    const ratingsXlsx = await sheetRows((await download('stats-export-ratings-xlsx')).body, '好差评明细');
    const [xHead, ...xLines] = ratingsXlsx;
    expect(xLines.length).toBe(given.length);
    expect(xLines.filter((l) => Number(l[xHead!.indexOf('分值')]) <= 2).map((l) => l[xHead!.indexOf('办件编号')]).sort()).toEqual(poorNumbers);
    expect(problems('exports')).toEqual([]);
  });

  it('records the 整改 the serving region’s administrator types; the other region’s administrator is refused', async () => {
    const all = await records();
    const poorOf = (target: 'clerk' | 'counter', pid: string) => all.filter((r) => r.partnershipId === pid && (r.ratings[target]?.score ?? 5) <= 2);
    const [first, second] = poorOf('clerk', WH);
    expect(second, 'two 差评 of 吴江—霍邱 clerks').toBeDefined();

    // 霍邱's administrator answers for 霍邱's clerks.
    await openStatsAs(admins.huoqiu.cookie);
    const row = page.locator(`#stats-poor-body tr[data-case="${first!.id}"][data-target="clerk"]`);
    const text = '已约谈受理人员，调整午间值守安排';
    await row.locator('textarea').pressSequentially(text);
    await row.locator('button:has-text("提交整改")').click();
    await expect.poll(() => row.locator('.follow-up-done').textContent()).toContain(text);
    expect(await row.locator('textarea').count()).toBe(0);
    expect((await t.node.cases.getCase(first!.id)).ratings.clerk!.followUp).toMatchObject({ text, by: admins.huoqiu.staffId });
    await shots.take(page, 'follow-up-recorded');

    // … and not for 吴江's counter: the server's refusal, in the row.
    const counterPoor = poorOf('counter', WH)[0]!;
    const counterRow = page.locator(`#stats-poor-body tr[data-case="${counterPoor.id}"][data-target="counter"]`);
    await counterRow.locator('textarea').pressSequentially('已批评教育');
    await counterRow.locator('button:has-text("提交整改")').click();
    await expect.poll(() => counterRow.locator('.form-error').textContent()).toBe(REFUSED_FOLLOW_UP);
    expect(await counterRow.locator('.form-error').isVisible()).toBe(true);
    expect((await t.node.cases.getCase(counterPoor.id)).ratings.counter!.followUp).toBeUndefined();
    const refusedRequest = /console error: Failed to load resource: the server responded with a status of 403 \(Forbidden\) \(http:\/\/[^)]+\/api\/admin\/stats\/poor\/[^/]+\/follow-up\)$/;
    expect(problems('huoqiu follow-up', [refusedRequest])).toEqual([]);

    // After a reload the follow-up is still there (it is the record's).
    await openStatsAs(admins.huoqiu.cookie);
    expect(await page.locator(`#stats-poor-body tr[data-case="${first!.id}"][data-target="clerk"] .follow-up-done`).textContent()).toContain(text);

    // 吴江's administrator sees 吴江—霍邱 only, and may not follow up 霍邱's clerk.
    await openStatsAs(admins.wujiang.cookie);
    expect(await page.$$eval('#stats-partnership option', (os) => os.map((o) => o.textContent))).toEqual(['全部合作关系', '吴江—霍邱跨域通办']);
    expectTotals(await shownTotals(), expectedFigures(all.filter((r) => r.partnershipId === WH), daysBefore(today, 29), today, Date.now()));
    const secondRow = page.locator(`#stats-poor-body tr[data-case="${second!.id}"][data-target="clerk"]`);
    await secondRow.locator('textarea').pressSequentially('已提醒');
    await secondRow.locator('button:has-text("提交整改")').click();
    await expect.poll(() => secondRow.locator('.form-error').textContent()).toBe(REFUSED_FOLLOW_UP);
    expect((await t.node.cases.getCase(second!.id)).ratings.clerk!.followUp).toBeUndefined();
    await shots.take(page, 'follow-up-refused');
    expect(problems('wujiang follow-up', [refusedRequest])).toEqual([]);
  });

  it('shows an administrator of a region in no partnership that there is nothing to count', async () => {
    await openStatsAs(admins.chaoyang.cookie);
    expect(await page.isVisible('#stats-none')).toBe(true);
    expect(await page.isVisible('#stats-results')).toBe(false);
    expect(await page.$$eval('#stats-partnership option', (os) => os.map((o) => o.textContent))).toEqual(['全部合作关系']);
    await expect.poll(() => page.textContent('#stats-live-body')).toBe('没有可查看的排队队列');
    expect(await page.textContent('#stats-live [data-live="waiting"]')).toBe('0');
    // The data behind the page: another region's partnership is refused, in Chinese.
    const answer = await page.evaluate(async (pid) => {
      const res = await fetch(`/api/admin/stats?from=2025-01-01&to=2025-01-31&partnershipId=${pid}`);
      return { status: res.status, body: (await res.json()) as { error?: { message?: string } } };
    }, WH);
    expect(answer).toMatchObject({ status: 403, body: { error: { message: '只能查看本地区参与的合作关系的统计' } } });
    await shots.take(page, 'no-partnership');
    expect(problems('chaoyang', [/status of 403 \(Forbidden\) \(http:\/\/[^)]+\/api\/admin\/stats\?/])).toEqual([]);
  });
});
