import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inbound } from '../harness/callPages';
import { withCheckDigit } from '../harness/idNumber';
import { startJourneyNode, type JourneyNode } from './support/journeyNode';
import { expectInViewport, launchPerson, reveal, soft, StepShots, type Person } from './support/person';

/*
 * The whole journey as the three people go through it, in three Chromium profiles, clicking and
 * typing only what the pages show: from a fresh node (README command one) the administrator
 * enrols and invites a clerk, the clerk enrols, the 吴江 counter activates; then, once in normal
 * and once in large-type mode (大字模式), an applicant is served from the form to the printed
 * document, the rating and the next applicant. Any console error, CSP violation, uncaught page
 * error or English validation text in a message fails the walk.
 */

const RESULTS = path.resolve('test-results/journey');
const PENSION = '城乡居民基本养老保险个人账户一次性支付';
const HUOQIU = '六安市霍邱县';

let j: JourneyNode;
let admin: Person;
let clerk: Person;
let counter: Person;
const people = () => [admin, clerk, counter].filter(Boolean);
/** How long each step took: printed at the end, to see where a slow run spent its time. */
const timings: string[] = [];

/** Runs one step of the walk, then screenshots every listed page and checks every guard. */
async function step(shots: StepShots, name: string, pages: Person[], body: () => Promise<void>): Promise<void> {
  const started = Date.now();
  try {
    await body();
  } finally {
    timings.push(`${path.basename(shots.dir)}/${name} ${Date.now() - started} ms`);
    for (const p of pages) await shots.take(p.page, `${name}-${p.label}`).catch(() => undefined);
    // Console errors, CSP violations, page errors, English validation text: each fails the test.
    const problems = people().flatMap((p) => p.guard.takeProblems(name));
    expect.soft(problems, `problems at step "${name}"`).toEqual([]);
  }
}

/** Today in China (the node's calendar), plus `days`, as YYYY-MM-DD. */
function chinaDate(days: number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(Date.now() + days * 864e5));
}

/** Waits until each video source decoded frames and each audio source received bytes. */
async function expectMedia(page: Page, video: string[], audio: string[]): Promise<void> {
  await expect
    .poll(
      async () => {
        const stats = await inbound(page);
        const sum = (source: string, key: 'framesDecoded' | 'bytesReceived') => stats.filter((s) => s.source === source).reduce((n, s) => n + s[key], 0);
        return [...video.map((s) => sum(s, 'framesDecoded') > 10), ...audio.map((s) => sum(s, 'bytesReceived') > 1000)].every(Boolean);
      },
      { timeout: 30_000, interval: 300 },
    )
    .toBe(true);
}

/** Waits until Chromium's PDF viewer in a frame at `urlPart` has laid out the document's pages. */
async function expectPdfLaid(page: Page, urlPart: string): Promise<void> {
  await expect
    .poll(
      async () => {
        for (const f of page.frames().filter((x) => x.url().includes(urlPart))) {
          const height = await f.evaluate(() => parseFloat(document.getElementById('sizer')?.style.height ?? '0') || 0).catch(() => 0);
          if (height > 0) return true;
        }
        return false;
      },
      { timeout: 45_000, interval: 250 },
    )
    .toBe(true);
}

/** The producers the node holds for a peer, as `session:source`, in every media session. */
function producersOf(peerId: string): string[] {
  return j.node.registry.all().flatMap((s) => s.listProducers().filter((p) => p.peerId === peerId).map((p) => `${s.id}:${p.source}`));
}

/** Draws a signature the way a finger would: a few strokes across the pad. */
async function drawSignature(page: Page, selector: string): Promise<void> {
  const box = (await page.locator(selector).boundingBox())!;
  const strokes = [
    [0.15, 0.6, 0.3, 0.3, 0.45, 0.65],
    [0.5, 0.4, 0.65, 0.7, 0.85, 0.35],
  ];
  for (const s of strokes) {
    await page.mouse.move(box.x + box.width * s[0]!, box.y + box.height * s[1]!);
    await page.mouse.down();
    for (let i = 2; i < s.length; i += 2) await page.mouse.move(box.x + box.width * s[i]!, box.y + box.height * s[i + 1]!, { steps: 8 });
    await page.mouse.up();
  }
}

beforeAll(async () => {
  // Screenshots of an earlier run must not be mistaken for this run's.
  await rm(RESULTS, { recursive: true, force: true });
  j = await startJourneyNode();
  [admin, clerk, counter] = await Promise.all([launchPerson('admin', { passkey: true }), launchPerson('clerk', { passkey: true }), launchPerson('counter')]);
}, 180_000);

afterEach(async (ctx) => {
  if (ctx.task.result?.state !== 'fail') return;
  for (const p of people()) console.log(`--- ${p.label} ---\n${p.guard.log.join('\n')}`);
});

afterAll(async () => {
  console.log(`journey step timings:\n  ${timings.join('\n  ')}`);
  await Promise.all(people().map((p) => p.close()));
  await j?.dispose();
});

describe('the journey through the pages', () => {
  let inviteUrl = '';

  it('a fresh node: the administrator enrols, sets the hours and invites a clerk; the clerk enrols; the counter activates', async () => {
    const shots = new StepShots(path.join(RESULTS, 'setup'));
    const a = admin.page;

    await step(shots, 'admin-enrol', [admin], async () => {
      await a.goto(j.bootstrapUrl);
      await expect.poll(() => a.locator('#scope').textContent(), { timeout: 15_000 }).toContain('管理员');
      await a.fill('#name', '省级管理员 王芳');
      await expectInViewport(a.locator('#register'), '创建通行密钥');
      await a.click('#register');
      await a.waitForSelector('#status[data-state="ok"]', { timeout: 20_000 });
      expect(await a.locator('#status').textContent()).toContain('注册成功');
    });

    await step(shots, 'admin-signin', [admin], async () => {
      await a.goto(`${j.origin}/login.html`);
      await expectInViewport(a.locator('#login'), '登录');
      await a.click('#login');
      await a.waitForURL(`${j.origin}/admin.html`, { timeout: 20_000 });
      await a.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
    });

    // The walk runs at any hour: the administrator opens the partnership every day, all day
    // (00:00–23:59 Beijing time is the widest the form takes; a run in the last minute of a
    // Beijing day would be refused at 开始视频办理, as it should be).
    await step(shots, 'admin-hours', [admin], async () => {
      await a.click('#tabs button[data-tab="partnerships"]');
      await a.locator('#partnerships-body tr[data-partnership="wujiang-huoqiu"] button[data-action="edit"]').click();
      for (const box of await a.locator('#partnership-weekdays input[type="checkbox"]').all()) await box.check();
      while ((await a.locator('#partnership-windows button[data-action="remove-window"]').count()) > 0) {
        await a.locator('#partnership-windows button[data-action="remove-window"]').first().click();
      }
      await a.click('#btn-add-window');
      await a.locator('#partnership-windows input.window-start').fill('00:00');
      await a.locator('#partnership-windows input.window-end').fill('23:59');
      await reveal(a.locator('#partnership-submit'));
      await expectInViewport(a.locator('#partnership-submit'), '保存合作关系');
      await a.click('#partnership-submit');
      await expect.poll(() => a.locator('#partnerships-body tr[data-partnership="wujiang-huoqiu"]').textContent(), { timeout: 15_000 }).toContain('每天 00:00–23:59');
    });

    await step(shots, 'admin-invite', [admin], async () => {
      await a.click('#tabs button[data-tab="staff"]');
      await a.selectOption('#invite-role', 'clerk');
      await a.selectOption('#invite-region', { label: `${HUOQIU}（341522）` });
      await a.locator('#invite-items label', { hasText: PENSION }).locator('input').check();
      await reveal(a.locator('#invite-submit'));
      await a.click('#invite-submit');
      await a.waitForSelector('#invite-result:not(.hidden)');
      await expectInViewport(a.locator('#btn-copy-invite'), '复制邀请链接');
      await a.click('#btn-copy-invite');
      inviteUrl = await a.evaluate(() => navigator.clipboard.readText());
      expect(inviteUrl).toBe(await a.inputValue('#invite-url'));
      expect(inviteUrl.startsWith(`${j.origin}/enroll.html#`)).toBe(true);
    });

    const c = clerk.page;
    await step(shots, 'clerk-enrol', [clerk], async () => {
      await c.goto(inviteUrl);
      // The invite is described with names a clerk recognises, not codes.
      await expect.poll(() => c.locator('#scope').textContent(), { timeout: 15_000 }).toContain('您受邀注册为');
      await soft('the invite names the region and the item (not codes)', async () => {
        await expect.poll(() => c.locator('#scope').textContent(), { timeout: 15_000 }).toContain(HUOQIU);
        expect(await c.locator('#scope').textContent()).toContain(PENSION);
      });
      await c.fill('#name', '霍邱窗口 李娜');
      await expectInViewport(c.locator('#register'), '创建通行密钥');
      await c.click('#register');
      await c.waitForSelector('#status[data-state="ok"]', { timeout: 20_000 });
    });

    await step(shots, 'clerk-signin', [clerk], async () => {
      await c.goto(`${j.origin}/login.html`);
      await c.click('#login');
      await c.waitForURL(`${j.origin}/clerk.html`, { timeout: 20_000 });
      await expect.poll(() => c.locator('#me').textContent(), { timeout: 15_000 }).toContain('李娜');
      await expect.poll(() => c.locator('#queue').textContent(), { timeout: 15_000 }).toContain('暂无排队');
    });

    const k = counter.page;
    await step(shots, 'counter-activate', [counter], async () => {
      const wujiang = j.counterActivations.find((x) => x.label.startsWith('苏州市吴江区'));
      expect(wujiang, JSON.stringify(j.counterActivations)).toBeDefined();
      await k.goto(wujiang!.url);
      await k.waitForSelector('#partner option', { state: 'attached', timeout: 15_000 });
      // The header names the hall and the counter once each.
      const header = (await k.locator('#counter-name').textContent()) ?? '';
      expect(header).toContain('跨域通办窗口 1 号');
      expect.soft(header.split('跨域通办窗口').length - 1, `header "${header}" names the counter once`).toBe(1);
      // The one-time token does not stay in the address bar.
      expect(k.url()).not.toContain('activate');
    });
  }, 180_000);

  for (const mode of ['normal', 'large'] as const) {
    it(`an applicant from the form to the printed document, the rating and the next applicant (${mode === 'normal' ? '普通' : '大字模式'})`, async () => {
      expect(inviteUrl, 'the enrolment walk ran first').not.toBe('');
      const shots = new StepShots(path.join(RESULTS, mode));
      const k = counter.page;
      const c = clerk.page;
      const applicant = mode === 'normal' ? { name: '张三', idNumber: withCheckDigit('34152219620315002') } : { name: '李四', idNumber: withCheckDigit('34152219580720004') };
      let counterPeer = '';
      const bodyFont = () => k.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));

      if (mode === 'large') {
        await step(shots, 'large-type', [counter], async () => {
          const toggle = k.getByRole('button', { name: /大字/ });
          const offered = await toggle.waitFor({ timeout: 15_000 }).then(() => true, () => false);
          expect.soft(offered, 'the counter offers 大字模式').toBe(true);
          // Without the mode the walk still runs, at normal size, to find what else is wrong.
          if (!offered) return;
          await expectInViewport(toggle, '大字模式');
          await toggle.click();
          await expect.poll(bodyFont, { timeout: 15_000 }).toBeGreaterThanOrEqual(24);
          // Remembered by the terminal: still large after the page is reloaded.
          await k.reload();
          await k.waitForSelector('#partner option', { state: 'attached', timeout: 15_000 });
          await expect.poll(bodyFont, { timeout: 15_000 }).toBeGreaterThanOrEqual(24);
          // Labels grow too (from 14 px), if a little less than body text.
          expect.soft(await k.locator('label[for="app-name"]').evaluate((l) => parseFloat(getComputedStyle(l).fontSize)), 'label font size').toBeGreaterThanOrEqual(20);
        });
      } else {
        expect(await bodyFont()).toBeLessThan(24);
      }

      await step(shots, 'counter-form', [counter], async () => {
        // The hours and whether the window is open come before anything is typed.
        await soft('the counter shows the service hours before anything is typed', async () => {
          await expect.poll(() => k.locator('#step-choose').innerText(), { timeout: 15_000 }).toMatch(/00:00\s*[–-—~至]\s*23:59/);
          expect(await k.locator('#step-choose').innerText()).not.toMatch(/非服务时间|已下班|暂停服务/);
        });
        for (const [sel, what] of [['#partner', '异地办理地区'], ['#item', '办理事项'], ['#app-name', '申请人姓名'], ['#app-id', '身份证号码'], ['#btn-queue', '开始视频办理']] as const) {
          await expectInViewport(k.locator(sel), what);
        }
        expect.soft(await k.inputValue('#app-name'), 'name field empty for a new applicant').toBe('');
        expect.soft(await k.inputValue('#app-id'), 'ID field empty for a new applicant').toBe('');
        await k.fill('#app-name', '');
        await k.fill('#app-id', '');
        await k.selectOption('#partner', { label: HUOQIU });
        await k.selectOption('#item', { label: PENSION });
        await k.fill('#app-name', applicant.name);
        await k.fill('#app-id', applicant.idNumber);
      });

      await step(shots, 'counter-queue', [counter], async () => {
        await k.click('#btn-queue');
        // 全程录音录像 (the node records, as started by the README's command): the applicant reads
        // what is recorded, why, who may see it and for how long, and agrees before anything is sent.
        await k.waitForSelector('#step-consent:not(.hidden)', { timeout: 15_000 });
        await soft('the recording notice names the serving region, the purpose and the retention', async () => {
          const notice = await k.locator('#step-consent').innerText();
          expect(notice).toContain('全程录音录像');
          expect(notice).toContain(HUOQIU);
          expect(notice).toMatch(/保存 \d+ 天/);
        });
        await expectInViewport(k.locator('#btn-consent-agree'), '同意并继续');
        await shots.take(k, 'recording-notice');
        await k.click('#btn-consent-agree');
        await k.waitForSelector('#step-wait:not(.hidden), #step-call:not(.hidden)', { timeout: 20_000 });
        await expectInViewport(k.locator('#btn-leave'), '离开队列');
        // Nobody ahead and a clerk idle: no constant five-minute estimate.
        expect.soft(await k.locator('#step-wait').innerText(), 'wait estimate').not.toContain('5分00秒');
      });

      await step(shots, 'clerk-accept', [clerk, counter], async () => {
        // The queue shows the applicant's name masked (张*): one applicant waits, of this item.
        const row = c.locator('#queue tr', { hasText: PENSION }).filter({ hasText: applicant.name.slice(0, 1) });
        await row.waitFor({ timeout: 15_000 });
        const accept = row.getByRole('button', { name: '受理' });
        await reveal(accept);
        await expectInViewport(accept, '受理');
        await accept.click();
        await c.waitForSelector('#call-view:not(.hidden)', { timeout: 15_000 });
        await k.waitForSelector('#step-call:not(.hidden)', { timeout: 15_000 });
        // The clerk works with a case number people can read out, not a UUID or a record version.
        const caseId = await k.evaluate(() => (window as unknown as { rvw: { state: { caseView?: { id: string } } } }).rvw.state.caseView?.id ?? '');
        await expect.poll(() => c.locator('#case-summary').innerText(), { timeout: 15_000 }).toContain(PENSION);
        const summary = await c.locator('#case-summary').innerText();
        expect.soft(summary, 'case summary shows no UUID').not.toContain(caseId);
        expect.soft(summary, 'case summary shows no record version').not.toMatch(/版本/);
      });

      await step(shots, 'see-and-hear', [clerk, counter], async () => {
        await expectMedia(c, ['face', 'document'], ['mic']);
        await expectMedia(k, ['face'], ['mic']);
        // Both sides see that the call is being recorded, in the header, over no picture.
        for (const page of [c, k]) {
          await soft('录制中 is shown during the call', async () => {
            await page.waitForSelector('#rec:not(.hidden)', { timeout: 15_000 });
            expect(await page.locator('#rec').innerText()).toBe('录制中');
          });
        }
        // And the pages play it: pictures with a size in the tiles, sound playing in the audio element.
        const playing = (page: Page, videos: string[]) =>
          page.evaluate((ids) => {
            const audio = document.getElementById('remote-audio') as HTMLAudioElement;
            const live = (el: HTMLMediaElement) => el.srcObject instanceof MediaStream && el.srcObject.getTracks().some((t) => t.readyState === 'live');
            return [...ids.map((id) => (document.getElementById(id) as HTMLVideoElement).videoWidth > 0), live(audio) && !audio.paused && !audio.muted].every(Boolean);
          }, videos);
        await expect.poll(() => playing(c, ['remote-face', 'remote-document']), { timeout: 15_000 }).toBe(true);
        await expect.poll(() => playing(k, ['remote-face']), { timeout: 15_000 }).toBe(true);
        // The counter's media as the server holds it (checked again, as gone, for the next applicant).
        counterPeer = await k.evaluate(() => sessionStorage.getItem('rvw.peerId') ?? '');
        expect(producersOf(counterPeer).sort()).toEqual(expect.arrayContaining([expect.stringMatching(/:mic$/), expect.stringMatching(/:face$/), expect.stringMatching(/:document$/)]));
        // Everything the applicant's side does during the call is on the one screen.
        for (const [sel, what] of [['#chat-text', '输入消息'], ['#btn-chat', '发送'], ['#signature', '签名板'], ['#btn-sign', '确认签字'], ['#btn-hangup', '结束通话']] as const) {
          await expectInViewport(k.locator(sel), what);
        }
        // 发送 stays on one line.
        const send = await k.locator('#btn-chat').evaluate((b) => ({ h: b.getBoundingClientRect().height, line: parseFloat(getComputedStyle(b).lineHeight) || parseFloat(getComputedStyle(b).fontSize) * 1.6 }));
        expect.soft(send.h, '发送 on one line').toBeLessThan(send.line * 2);
      });

      await step(shots, 'snapshot', [clerk], async () => {
        const snap = c.locator('#btn-snapshot');
        await reveal(snap);
        await expectInViewport(snap, '拍照留存材料');
        const before = clerk.guard.messages.length;
        await snap.click();
        await expect.poll(() => clerk.guard.messages.slice(before).some((m) => m.includes('留存')), { timeout: 15_000 }).toBe(true);
      });

      await step(shots, 'snapshot-open', [clerk], async () => {
        // The captured picture appears on the clerk's page and opens.
        await soft('the clerk opens the snapshot', async () => {
        const thumb = c.locator('[data-material-sha256], #materials img, #materials a, #materials button').last();
        await thumb.waitFor({ timeout: 15_000 });
        await reveal(thumb);
        await thumb.click();
        const opened = c.locator('dialog[open] img, #lightbox.open img, .lightbox.open img').first();
        await opened.waitFor({ timeout: 15_000 });
        await expect.poll(() => opened.evaluate((img) => (img as HTMLImageElement).naturalWidth), { timeout: 15_000 }).toBeGreaterThan(0);
        await shots.take(c, 'snapshot-open-clerk');
        const close = c.locator('dialog[open]').getByRole('button', { name: '关闭' });
        if (await close.count()) await close.click();
        else await c.keyboard.press('Escape');
        await expect.poll(() => opened.isVisible(), { timeout: 15_000 }).toBe(false);
        });
      });

      await step(shots, 'materials', [clerk], async () => {
        for (const name of ['居民身份证', '户口簿', '银行卡或存折']) {
          const row = c.locator('#checklist tr', { hasText: name });
          // The checklist re-renders on every case change: click (which waits for a stable element).
          await row.getByRole('button', { name: '拍照' }).click();
          await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain('已提交');
        }
      });

      await step(shots, 'waiver', [clerk], async () => {
        const row = c.locator('#checklist tr', { hasText: '死亡证明或其他证明材料' });
        const waive = row.getByRole('button', { name: '容缺' });
        const note = '申请人承诺七日内补交死亡证明';
        // A native prompt() is no way to pick a date: answered here only so the walk can go on.
        const prompts: string[] = [];
        const answers: string[] = [];
        const onDialog = (d: import('playwright-core').Dialog) => {
          prompts.push(`${d.type()}: ${d.message()}`);
          void d.accept(answers.shift() ?? '');
        };
        c.on('dialog', onDialog);
        try {
          answers.push(note, chinaDate(-1));
          await reveal(waive);
          await waive.click();
          const dialog = c.locator('dialog[open]');
          const shown = await dialog.waitFor({ timeout: 15_000 }).then(() => true, () => false);
          expect.soft(prompts, '容缺 asks through a page dialog, not prompt()').toEqual([]);
          if (shown) {
            await dialog.locator('textarea, input[type="text"]').first().fill(note);
            const date = dialog.locator('input[type="date"]');
            await expectInViewport(date, '补交期限');
            const confirm = dialog.getByRole('button', { name: /确定|确认|容缺受理/ }).last();
            // A deadline in the past: refused in Chinese, the dialog stays open, nothing is waived.
            await date.fill(chinaDate(-1));
            const before = clerk.guard.messages.length;
            await confirm.click();
            await soft('a past deadline is refused in Chinese, in the dialog', async () => {
              await expect.poll(() => clerk.guard.messages.slice(before).join('\n'), { timeout: 15_000 }).toMatch(/期限/);
              expect(await dialog.locator('[role="alert"], .form-error').filter({ hasText: '期限' }).isVisible()).toBe(true);
            });
            await shots.take(c, 'waiver-bad-deadline-clerk');
            expect(await dialog.isVisible()).toBe(true);
            expect(await row.textContent()).not.toContain(chinaDate(-1));
            // A week from today: accepted.
            await date.fill(chinaDate(7));
            await confirm.click();
            await expect.poll(() => c.locator('dialog[open]').count(), { timeout: 15_000 }).toBe(0);
          } else {
            await expect.poll(() => clerk.guard.messages.some((m) => m.includes('期限')), { timeout: 15_000 }).toBe(true);
            answers.push(note, chinaDate(7));
            await waive.click();
          }
          await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain(chinaDate(7));
          expect(await row.textContent()).toContain('容缺');
        } finally {
          c.off('dialog', onDialog);
        }
      });

      await step(shots, 'chat', [clerk, counter], async () => {
        const ask = `请问死亡证明可以之后寄过来吗？（${mode}）`;
        await k.fill('#chat-text', ask);
        await k.click('#btn-chat');
        await expect.poll(() => c.locator('#chat').textContent(), { timeout: 15_000 }).toContain(ask);
        const answer = `可以，七日内补交即可。（${mode}）`;
        await reveal(c.locator('#chat-text'));
        await c.fill('#chat-text', answer);
        await c.click('#btn-chat');
        await expect.poll(() => k.locator('#chat').textContent(), { timeout: 15_000 }).toContain(answer);
        expect(await k.inputValue('#chat-text')).toBe('');
      });

      let number = '';
      await step(shots, 'preview-issue', [clerk, counter], async () => {
        // Only the document types of the item are offered (and its 申请表: the item has a form, #18).
        const types = await c.locator('#doc-type option').allTextContents();
        expect.soft(types.sort(), 'document types offered for the item').toEqual(['办结通知书', '受理回执', '容缺受理告知书', '申请表'].sort());
        await c.selectOption('#doc-type', { label: '容缺受理告知书' });
        const row = c.locator('#documents tr', { hasText: '容缺受理告知书' });
        await soft('the clerk previews the document, then signs it from the preview', async () => {
          const preview = c.getByRole('button', { name: /预览/ });
          await preview.waitFor({ timeout: 15_000 });
          await reveal(preview);
          await preview.click();
          const shown = c.locator('dialog[open] iframe, dialog[open] embed, dialog[open] object, dialog[open] img').first();
          await shown.waitFor({ timeout: 20_000 });
          // The preview is the document itself (a PDF in the frame), not a description of it.
          const frame = await (await shown.elementHandle())?.contentFrame();
          if (frame) await expect.poll(() => frame.evaluate(() => document.contentType).catch(() => ''), { timeout: 15_000 }).toBe('application/pdf');
          // Chromium's PDF viewer paints its pages a while after the document loaded: wait for its
          // page area to get its size, so the screenshot shows the document a person would see.
          await soft('the PDF viewer shows the preview', () => expectPdfLaid(c, '/documents/preview/'));
          await c.waitForTimeout(500);
          await shots.take(c, 'preview-clerk');
          const issue = c.locator('dialog[open]').getByRole('button', { name: /签章出具/ });
          await expectInViewport(issue, '签章出具');
          await issue.click();
          await row.waitFor({ timeout: 20_000 });
        });
        if ((await row.count()) === 0) {
          // No preview to sign from: issue the old way so the rest of the walk can be checked.
          if (await c.locator('dialog[open]').count()) await c.keyboard.press('Escape');
          await reveal(c.locator('#btn-issue'));
          await c.click('#btn-issue');
          await row.waitFor({ timeout: 20_000 });
        }
        number = (await row.getAttribute('data-document')) ?? '';
        expect(number).not.toBe('');
        await expect.poll(() => k.locator('#documents').textContent(), { timeout: 15_000 }).toContain('容缺受理告知书');
      });

      await step(shots, 'print', [counter, clerk], async () => {
        const printsBefore = counter.guard.prints.length;
        const row = k.locator('#documents tr', { hasText: '容缺受理告知书' });
        const print = row.getByRole('button', { name: /打印/ });
        await expectInViewport(print, '打印');
        const pdf = k.waitForResponse((r) => r.url().includes('/api/print/'), { timeout: 20_000 });
        await print.click();
        const response = await pdf;
        expect(response.status()).toBe(200);
        expect(response.headers()['content-type']).toBe('application/pdf');
        // print() is called once, on the window the PDF was loaded into.
        await soft('print() called once, on the frame holding the PDF', async () => {
          await expect.poll(() => counter.guard.prints.length - printsBefore, { timeout: 15_000 }).toBe(1);
          const printed = counter.guard.prints.at(-1)!;
          const frame = k.frames().find((f) => f.url() === printed);
          expect(frame, `no frame at ${printed}: ${k.frames().map((f) => f.url()).join(', ')}`).toBeDefined();
          expect(await frame!.evaluate(() => document.contentType)).toBe('application/pdf');
        });
        // Printed exactly once, no failure: on both pages and in the server's print record.
        await soft('the counter shows 已打印 1 次', async () => {
          await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain('已打印 1 次');
        });
        const clerkRow = c.locator(`#documents tr[data-document="${number}"]`);
        await soft('the clerk sees 已打印 1 次, no failure', async () => {
          await expect.poll(() => clerkRow.textContent(), { timeout: 15_000 }).toContain('已打印 1 次');
          expect(await clerkRow.textContent()).not.toContain('失败');
        });
        await k.waitForTimeout(1000);
        const record = await readPrintRecord(j, number);
        expect.soft(record, 'the server counted one print').toMatchObject({ printed: '1' });
        expect.soft(record.reportedFailure ?? '0', 'no failed print reported').toBe('0');
        expect.soft(counter.guard.prints.length - printsBefore, 'print() calls').toBe(1);
      });

      await step(shots, 'signature', [counter], async () => {
        await expectInViewport(k.locator('#signature'), '签名板');
        await drawSignature(k, '#signature');
        await k.click('#btn-sign');
        await expect.poll(() => k.locator('#sign-status').textContent(), { timeout: 15_000 }).toContain('已签字确认');
      });

      const caseId = await k.evaluate(() => (window as unknown as { rvw: { state: { caseView?: { id: string } } } }).rvw.state.caseView?.id ?? '');
      expect(caseId).not.toBe('');

      await step(shots, 'complete', [clerk, counter], async () => {
        const complete = c.locator('#btn-complete');
        await reveal(complete);
        await expectInViewport(complete, '办结');
        await complete.click();
        // A confirmation, if the page asks for one.
        const confirm = c.locator('dialog[open]').getByRole('button', { name: /确定|确认|办结/ }).last();
        if (await confirm.waitFor({ timeout: 2000 }).then(() => true, () => false)) await confirm.click();
        await expect.poll(() => c.locator('body').innerText(), { timeout: 15_000 }).toContain('已办结');
        expect.soft(clerk.guard.messages.concat(await c.locator('body').innerText()).join('\n'), 'the clerk page says 办结 without a typo').not.toContain('已已');
        await k.waitForSelector('#step-finish:not(.hidden)', { timeout: 15_000 });
        expect.soft(await k.locator('#finish-status').textContent(), 'the counter says 办结 without a typo').not.toContain('已已');
        // The case is closed: media ends on both sides at once, not when someone clicks 结束通话.
        await soft('the call ends with the case', async () => {
          await expect.poll(() => j.node.registry.get(caseId), { timeout: 15_000 }).toBeUndefined();
          await expect
            .poll(() => k.evaluate(() => (window as unknown as { __rvwTracks: MediaStreamTrack[] }).__rvwTracks.filter((t) => t.readyState === 'live').map((t) => t.kind)), { timeout: 15_000 })
            .toEqual([]);
          // Nor does the clerk's voice keep playing at the counter.
          const hearing = () =>
            k.evaluate(() => {
              const audio = document.getElementById('remote-audio') as HTMLAudioElement;
              return !audio.paused && audio.srcObject instanceof MediaStream && audio.srcObject.getTracks().some((t) => t.readyState === 'live' && t.enabled && !t.muted);
            });
          await expect.poll(hearing, { timeout: 15_000 }).toBe(false);
        });
        // After 办结 the clerk can change nothing on the case.
        await soft('clerk actions disabled after 办结', async () => {
          for (const id of ['#btn-complete', '#btn-issue', '#btn-snapshot', '#btn-pending', '#btn-suspend', '#btn-reject', '#btn-hangup']) expect(await c.locator(id).isDisabled(), id).toBe(true);
        });
        // The clerk sees how the case ended (the call is over, the case stays on screen) and how to move on.
        await soft('the clerk sees the final state, not the queue', async () => {
          await c.waitForTimeout(1000);
          expect(await c.locator('#call-view').isVisible()).toBe(true);
          expect(await c.locator('#case-closed').innerText()).toBe('本办件已办结，办理操作已停用。');
          await reveal(c.locator('#btn-back-queue'));
          await expectInViewport(c.locator('#btn-back-queue'), '返回队列');
          await expectInViewport(c.locator('#queue-count'), '排队人数');
        });
      });

      await step(shots, 'rating', [counter], async () => {
        for (const target of ['clerk', 'counter'] as const) {
          const stars = k.locator(`.stars[data-target="${target}"]`);
          await soft('each star says what it means (非常满意 … 非常不满意)', async () => {
            const text = await stars.innerText();
            for (const level of ['非常满意', '满意', '基本满意', '不满意', '非常不满意']) expect(text).toContain(level);
          });
          const star = stars.getByRole('button', { name: /非常满意/ });
          const labelled = (await star.count()) === 1;
          const best = labelled ? star : stars.getByRole('button').nth(4);
          await expectInViewport(best, `${target} 非常满意`);
          await best.click();
        }
        await expectInViewport(k.locator('#btn-rate'), '提交评价');
        const before = counter.guard.messages.length;
        await k.click('#btn-rate');
        await expect.poll(() => counter.guard.messages.slice(before).some((m) => m.includes('感谢')), { timeout: 15_000 }).toBe(true);
        const rated = await j.node.cases.getCase(caseId);
        expect(rated?.ratings).toMatchObject({ clerk: { score: 5 }, counter: { score: 5 } });
      });

      await step(shots, 'next-applicant', [counter, clerk], async () => {
        // The clerk leaves the closed case for the queue.
        const back = c.getByRole('button', { name: '返回队列，接待下一位' });
        await reveal(back);
        await back.click();
        await c.waitForSelector('#queue-view:not(.hidden)');
        const next = k.getByRole('button', { name: '办理下一件' });
        await expectInViewport(next, '办理下一件');
        await next.click();
        await k.waitForSelector('#step-choose:not(.hidden)');
        // Nothing of the last applicant is left on the form.
        expect.soft(await k.inputValue('#app-name'), 'name of the last applicant').toBe('');
        expect.soft(await k.inputValue('#app-id'), 'ID number of the last applicant').toBe('');
        expect.soft(await k.inputValue('#app-phone'), 'phone of the last applicant').toBe('');
        expect.soft(await k.locator('body').innerText(), 'the last ID number anywhere on screen').not.toContain(applicant.idNumber);
        // Camera and microphone released: every local track the page ever opened has ended.
        await soft('camera and microphone released', async () => {
          await expect
            .poll(() => k.evaluate(() => (window as unknown as { __rvwTracks: MediaStreamTrack[] }).__rvwTracks.map((t) => `${t.kind}:${t.readyState}`)), { timeout: 15_000 })
            .toSatisfy((tracks: string[]) => tracks.length > 0 && tracks.every((t) => t.endsWith(':ended')));
        });
        // And the server holds no media of the counter: no call session, no producer of its peer.
        await soft('the call session is gone on the server', async () => {
          await expect.poll(() => j.node.registry.get(caseId), { timeout: 15_000 }).toBeUndefined();
        });
        expect.soft(producersOf(counterPeer), 'producers of the counter still on the server').toEqual([]);
        // Nothing of the last case lingers on the screen either: no old error toasts.
        expect.soft(await k.locator('#toasts .toast-error').count(), 'error toasts carried over').toBe(0);
      });
    }, 300_000);
  }
});

/** The server's print record of a document, as the print service keeps it in Redis. */
async function readPrintRecord(node: JourneyNode, number: string): Promise<Record<string, string>> {
  return node.node.redis.hGetAll(`doc:print:${number}`);
}
