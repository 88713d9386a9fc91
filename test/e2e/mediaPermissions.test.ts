import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type TestBrowser } from '../harness/browser';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';

// A counter whose browser refuses camera/microphone access must say so in Chinese, with what to
// do, and must not queue a case the clerk could not see.
describe('camera and microphone refused at the counter', () => {
  let t: TestNode;
  let browser: TestBrowser;

  beforeAll(async () => {
    t = await startTestNode();
    const counter = await t.counter('wujiang-kyth-01');
    // Without the fake-UI flag headless Chromium refuses the permission prompt, as a clerk's
    // "block" would.
    browser = await launchChromium([], { withoutArgs: ['--use-fake-ui-for-media-stream'] });
    await t.addCookie(browser.context, counter.cookie);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.dispose();
  });

  it('shows a Chinese explanation and queues nothing', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${t.origin}/counter.html`);
    await page.waitForSelector('#partner option', { state: 'attached' });
    await page.fill('#app-name', '孙立新');
    await page.fill('#app-id', withCheckDigit('32058419800101111'));
    await page.click('#btn-queue');
    const toast = page.locator('.toast-error');
    await toast.first().waitFor({ timeout: 15_000 });
    const text = await toast.first().innerText();
    expect(text).toContain('摄像头和麦克风权限被拒绝');
    expect(text).toContain('允许使用摄像头和麦克风');
    // Still on the first step, and no case was opened.
    expect(await page.locator('#step-choose').isVisible()).toBe(true);
    const queued = await t.node.cases.listQueue('341522');
    expect(queued).toEqual([]);
  });
});
