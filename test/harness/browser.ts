import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type LaunchOptions } from 'playwright-core';

/** Flags every test browser gets: headless, no network chatter this sandbox refuses, fake devices. */
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  // Fake devices would otherwise be rate-limited when the tab is not focused.
  '--disable-renderer-backgrounding',
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
  // WebRTC inside one machine: keep host candidates as real loopback addresses, not mDNS names.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

/** A Chromium with a fresh profile; `close()` also deletes the profile. */
export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Launches Debian's Chromium (never a downloaded build) with a fresh persistent profile.
 * A persistent context is what WebAuthn's virtual authenticator and media permissions need.
 */
export async function launchChromium(extraArgs: string[] = [], options: Partial<LaunchOptions> & { withoutArgs?: string[] } = {}): Promise<TestBrowser> {
  const { withoutArgs = [], ...launch } = options;
  const profile = await mkdtemp(path.join(os.tmpdir(), 'rvw-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS.filter((a) => !withoutArgs.includes(a)), ...extraArgs],
    ignoreDefaultArgs: ['--mute-audio'],
    ...launch,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}
