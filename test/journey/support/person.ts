import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { CDPSession, Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { launchChromium, type TestBrowser } from '../../harness/browser';
import { PageGuard } from './pageGuard';

/** The usual counter terminal screen; every person's window has this size. */
export const VIEWPORT = { width: 1366, height: 768 };

/** One person at one machine: a Chromium profile, one tab, a guard, a passkey device. */
export interface Person {
  label: string;
  browser: TestBrowser;
  page: Page;
  guard: PageGuard;
  /** CDP session of the tab holding the virtual authenticator (staff only). */
  cdp?: CDPSession;
  close(): Promise<void>;
}

/**
 * Launches a person's own browser profile at 1366×768. Staff get a platform authenticator
 * (Chromium's CDP virtual authenticator: CTAP2, resident keys, user verification), as a laptop
 * with Windows Hello or Touch ID would have.
 */
export async function launchPerson(label: string, options: { passkey?: boolean } = {}): Promise<Person> {
  // The people are in China: a zh-CN page locale (navigator.language, Intl) and Beijing time.
  // launchChromium hands its options to launchPersistentContext, which takes the locale.
  const inChina = { env: { ...process.env, TZ: 'Asia/Shanghai' }, locale: 'zh-CN' };
  const browser = await launchChromium([], inChina);
  const guard = await PageGuard.install(browser.context, label);
  // Clipboard: the administrator copies the invite link with the page's 复制 button.
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  await page.setViewportSize(VIEWPORT);
  let cdp: CDPSession | undefined;
  if (options.passkey) {
    cdp = await browser.context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    });
  }
  return { label, browser, page, guard, ...(cdp ? { cdp } : {}), close: () => browser.close() };
}

/**
 * Runs a check whose failure fails the test but need not stop the walk (the walk can go on and
 * find what else is wrong): the failure is recorded as a soft assertion with its message.
 */
export async function soft(what: string, check: () => Promise<void>): Promise<void> {
  try {
    await check();
  } catch (e) {
    expect.soft(undefined, `${what}: ${(e as Error).message.split('\n').slice(0, 6).join(' | ')}`).toBeDefined();
  }
}

/**
 * Scrolls a control into view as a person scrolls a long page (the clerk's, the admin's). Lists
 * re-render on every case change, so a detached element is looked up again.
 */
export async function reveal(locator: Locator): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await locator.scrollIntoViewIfNeeded({ timeout: 15_000 });
      return;
    } catch (e) {
      if (attempt >= 5 || !/not attached|detached/i.test((e as Error).message)) throw e;
    }
  }
}

/**
 * Asserts that a control is where the person can use it without scrolling: visible, wholly
 * inside the window, and not covered by anything (a toast, a dialog backdrop) at its centre.
 */
export async function expectInViewport(locator: Locator, what: string): Promise<void> {
  await locator.waitFor({ state: 'visible', timeout: 15_000 });
  // A person looks once the screen has settled: a control that arrives with a re-layout (a new
  // document row growing its card) is judged where it ends up, within SETTLE_MS, not mid-layout.
  const SETTLE_MS = 2_000;
  const started = Date.now();
  let where = await placeOf(locator);
  while (!(isInside(where) && !where.covered) && Date.now() - started < SETTLE_MS) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    where = await placeOf(locator);
  }
  const inside = isInside(where);
  // Soft: a control out of place fails the walk, but the walk goes on to find what else is wrong.
  expect.soft(inside, `${what} is outside the ${where.width}×${where.height} window: ${JSON.stringify(where)}`).toBe(true);
  expect.soft(where.covered, `${what} is covered by ${where.cover}`).toBe(false);
}

/** Where a control is: its box, the window, and what is on top at its centre. */
function placeOf(locator: Locator) {
  return locator.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const x = r.left + r.width / 2;
    const y = r.top + r.height / 2;
    const top = document.elementFromPoint(Math.min(Math.max(x, 0), innerWidth - 1), Math.min(Math.max(y, 0), innerHeight - 1));
    const inside = r.left >= 0 && r.top >= 0 && r.right <= innerWidth + 0.5 && r.bottom <= innerHeight + 0.5;
    const covered = inside && top !== null && top !== el && !el.contains(top) && !top.contains(el);
    const cover = top ? `${top.tagName.toLowerCase()}${top.id ? `#${top.id}` : ''}${top.className ? `.${String(top.className).split(' ').join('.')}` : ''} "${(top.textContent ?? '').trim().slice(0, 40)}"` : '';
    return { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: innerWidth, height: innerHeight, covered, cover };
  });
}

function isInside(w: { left: number; top: number; right: number; bottom: number; width: number; height: number }): boolean {
  return w.left >= 0 && w.top >= 0 && w.right <= w.width + 0.5 && w.bottom <= w.height + 0.5;
}

/** Step screenshots: test-results/journey/<mode>/<nn>-<step>.png, numbered in walk order. */
export class StepShots {
  #n = 0;
  constructor(readonly dir: string) {}

  async take(page: Page, step: string): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    this.#n += 1;
    const file = path.join(this.dir, `${String(this.#n).padStart(2, '0')}-${step}.png`);
    await page.screenshot({ path: file });
    return file;
  }
}
