import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assessQuality, type InboundTotals, type Quality } from '@rvw/web-client/call/QualitySampler';
import { launchChromium, type TestBrowser } from '../harness/browser';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Totals with defaults, for the pure assessment. */
function totals(t: Partial<InboundTotals>): InboundTotals {
  return { at: undefined, rttMs: undefined, packetsLost: 0, packetsReceived: 0, framesDecoded: 0, bytesReceived: 0, ...t };
}

describe('quality assessment (the badge levels)', () => {
  it('takes the worst consumer score and the loss share', () => {
    expect(assessQuality(totals({ packetsReceived: 990, packetsLost: 10 }), undefined, [9, 10]).level).toBe('good');
    expect(assessQuality(totals({ packetsReceived: 990, packetsLost: 10 }), undefined, [9, 6]).level).toBe('fair');
    expect(assessQuality(totals({ packetsReceived: 950, packetsLost: 50 }), undefined, [10]).level).toBe('fair');
    expect(assessQuality(totals({ packetsReceived: 900, packetsLost: 100 }), undefined, [10]).level).toBe('poor');
    expect(assessQuality(totals({ packetsReceived: 1000 }), undefined, [4]).level).toBe('poor');
    expect(assessQuality(totals({}), undefined, []).level).toBe('unknown');
    expect(assessQuality(totals({ packetsReceived: 900, packetsLost: 100 }), undefined, []).lossPct).toBeCloseTo(10, 6);
  });

  it('turns two samples into frames and bits per second, and leaves rates out without a usable earlier one', () => {
    const first = totals({ at: 10_000, framesDecoded: 100, bytesReceived: 50_000 });
    const second = totals({ at: 12_000, framesDecoded: 150, bytesReceived: 300_000 });
    const q = assessQuality(second, first, []);
    expect(q.fps).toBeCloseTo(25, 6);
    expect(q.bitrateKbps).toBeCloseTo(1000, 6);
    expect(assessQuality(second, undefined, []).fps).toBeUndefined();
    // The streams were replaced (a rebuilt transport): totals went down, no rate is made up.
    const rebuilt = assessQuality(totals({ at: 14_000, framesDecoded: 10, bytesReceived: 1000 }), second, []);
    expect(rebuilt.fps).toBeUndefined();
    expect(rebuilt.bitrateKbps).toBeUndefined();
  });
});

// The sampler against a real RTCPeerConnection in Chromium: a canvas track sent over a loopback
// connection at a known frame rate, sampled through getStats as a call's receive side is.
describe('QualitySampler in Chromium', () => {
  let browser: TestBrowser;
  let page: Page;

  beforeAll(async () => {
    const bundle = await esbuild.build({
      entryPoints: [path.join(root, 'web-client/src/call/QualitySampler.ts')],
      bundle: true,
      write: false,
      format: 'iife',
      globalName: 'QualitySamplerModule',
      target: 'es2022',
      platform: 'browser',
    });
    browser = await launchChromium();
    page = await browser.context.newPage();
    await page.setContent('<canvas id="c" width="320" height="240"></canvas>');
    await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('reports the frame rate and bitrate the receive connection measures, and their drop when the sender stops', async () => {
    await page.evaluate(async () => {
      type Mod = typeof import('@rvw/web-client/call/QualitySampler');
      const { QualitySampler } = (window as unknown as { QualitySamplerModule: Mod }).QualitySamplerModule;
      const canvas = document.getElementById('c') as HTMLCanvasElement;
      const ctx = canvas.getContext('2d')!;
      let n = 0;
      // 20 frames a second, each different (a canvas stream only carries changed frames).
      const draw = window.setInterval(() => {
        n++;
        ctx.fillStyle = `hsl(${(n * 37) % 360} 80% 50%)`;
        ctx.fillRect(0, 0, 320, 240);
        ctx.fillStyle = '#fff';
        ctx.fillText(String(n), 10 + (n % 200), 120);
      }, 50);
      const track = canvas.captureStream().getVideoTracks()[0]!;
      const sender = new RTCPeerConnection();
      const receiver = new RTCPeerConnection();
      sender.onicecandidate = (e) => void (e.candidate && receiver.addIceCandidate(e.candidate));
      receiver.onicecandidate = (e) => void (e.candidate && sender.addIceCandidate(e.candidate));
      receiver.ontrack = (e) => {
        const v = document.createElement('video');
        v.muted = true;
        v.srcObject = new MediaStream([e.track]);
        document.body.append(v);
        void v.play();
      };
      sender.addTrack(track);
      await sender.setLocalDescription(await sender.createOffer());
      await receiver.setRemoteDescription(sender.localDescription!);
      await receiver.setLocalDescription(await receiver.createAnswer());
      await sender.setRemoteDescription(receiver.localDescription!);
      const qualities: Quality[] = [];
      const sampler = new QualitySampler({ stats: () => receiver.getStats(), onQuality: (q) => qualities.push(q), intervalMs: 1000 });
      sampler.start();
      Object.assign(window, { test: { qualities, sampler, stopDrawing: () => window.clearInterval(draw) } });
    });
    const qualities = () => page.evaluate(() => [...(window as unknown as { test: { qualities: Quality[] } }).test.qualities]);

    // Flowing: two consecutive samples whose rate is near the 20 frames a second drawn (a loaded
    // machine may drop some; more than were drawn is impossible).
    await expect
      .poll(async () => (await qualities()).slice(-2).filter((q) => (q.fps ?? 0) > 8).length, { timeout: 20_000, interval: 500 })
      .toBe(2);
    const flowing = (await qualities()).at(-1)!;
    expect(flowing.fps).toBeLessThan(24);
    expect(flowing.bitrateKbps).toBeGreaterThan(20);
    expect(flowing.lossPct).toBeLessThan(2);
    expect(flowing.rttMs).toBeGreaterThanOrEqual(0);
    expect(flowing.level).toBe('good');

    // Nothing drawn, nothing sent: the next full sampling interval shows (almost) no frames.
    const before = (await qualities()).length;
    await page.evaluate(() => (window as unknown as { test: { stopDrawing(): void } }).test.stopDrawing());
    await expect.poll(async () => (await qualities()).length, { timeout: 15_000 }).toBeGreaterThan(before + 2);
    const stopped = (await qualities()).at(-1)!;
    expect(stopped.fps).toBeLessThan(2);
    await page.evaluate(() => (window as unknown as { test: { sampler: { stop(): void } } }).test.sampler.stop());
    const count = (await qualities()).length;
    await page.waitForTimeout(2500);
    // Stopped means stopped: no more samples.
    expect((await qualities()).length).toBe(count);
  });
});
