import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIA_CODECS } from '@rvw/sfu';
import { SessionRecorder, fileDigest, type RecordedSegment, type RecordedSource } from '@rvw/sfu/recording/index';
import { encodeAudio, encodeVideo, feedRouter, type EncodedMedia } from '../harness/rtpFeeder';
import { lossyRelays } from './lossyRelay';
import { countVideoPackets, probeRecording } from './recordingProbe';

const logger = { info: () => undefined, warn: (o: object, m?: string) => console.warn(m, o) };
let dir: string;
let media: { face: EncodedMedia; document: EncodedMedia; mic: EncodedMedia };
const workers: types.Worker[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'rvw-rec-'));
  // Encoded once per machine (the encode costs more than the test).
  const mediaDir = path.join(tmpdir(), 'rvw-rtp-media');
  await mkdir(mediaDir, { recursive: true });
  const [face, document, mic] = await Promise.all([
    encodeVideo({ dir: mediaDir, seconds: 20, kbps: 1000 }),
    encodeVideo({ dir: mediaDir, seconds: 20, kbps: 1500, pattern: 'mandelbrot' }),
    encodeAudio({ dir: mediaDir, seconds: 20 }),
  ]);
  media = { face, document, mic };
}, 120_000);

afterAll(async () => {
  for (const w of workers) w.close();
  await rm(dir, { recursive: true, force: true });
});

async function newRouter(): Promise<{ worker: types.Worker; router: types.Router }> {
  const worker = await mediasoup.createWorker({ logLevel: 'error' });
  workers.push(worker);
  return { worker, router: await worker.createRouter({ mediaCodecs: MEDIA_CODECS }) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function expectValid(seg: RecordedSegment, kind: 'video' | 'audio', expectedS: number): Promise<void> {
  const p = await probeRecording(seg.file);
  expect(p.streams.map((s) => s.codec_name)).toEqual([kind === 'video' ? 'vp8' : 'opus']);
  expect(p.decodeErrors).toBe('');
  expect(Math.abs(p.durationS - expectedS) / expectedS).toBeLessThan(0.1);
  if (kind === 'video') expect(p.firstVideoPacket?.flags.startsWith('K')).toBe(true);
  const digest = await fileDigest(seg.file);
  expect(seg.sha256).toBe(digest.sha256);
  expect(seg.bytes).toBe(digest.bytes);
}

describe('SessionRecorder', () => {
  it('records every track into a valid WebM per track, starting on a keyframe (the 1 s goal is measured by bench:recording), durations within 10 %', async () => {
    const { router } = await newRouter();
    const feeder = await feedRouter({ router, media: [media.face, media.document, media.mic, media.mic] });
    const sources: RecordedSource[] = ['face', 'document', 'mic', 'clerk_mic'];
    const rec = await SessionRecorder.start({ router, dir, sessionId: 'S1', logger });
    const segments: RecordedSegment[] = [];
    rec.on('segmentclosed', (s) => segments.push(s));
    const t0 = Date.now();
    await Promise.all(feeder.tracks.map((t, i) => rec.add(t.producer, { source: sources[i]! })));
    const readyMs = Date.now() - t0;
    await sleep(6000);
    await rec.stop();
    const recordedS = (Date.now() - t0) / 1000;
    await feeder.stop();

    expect(segments.map((s) => s.tracks[0]!.source).sort()).toEqual([...sources].sort());
    for (const s of segments) {
      const t = s.tracks[0]!;
      expect(s.reason).toBe('stopped');
      expect(t.firstPacketAt).not.toBeNull();
      const firstMs = t.firstPacketAt! - s.startedAt;
      // The 1 s goal from start to the first keyframe is measured by bench:recording, not here: this
      // feeder replays a file and cannot answer the keyframe request, and under the full suite on 2
      // cores the wait went to 1118 and 1673 ms. Held here: the file starts within a few of the
      // feeder's 0.5 s keyframe intervals, i.e. the recorder did not miss or drop the early ones.
      expect(firstMs).toBeLessThanOrEqual(3000);
      // The file's duration runs from its first packet to stop.
      await expectValid(s, t.kind, (s.endedAt - t.firstPacketAt!) / 1000);
      console.info(`recording ${t.source}: ready ${readyMs} ms, first ${t.kind === 'video' ? 'keyframe' : 'packet'} +${firstMs} ms, ${s.bytes} B, recorded ${recordedS.toFixed(1)} s`);
    }
    const face = segments.find((s) => s.tracks[0]!.source === 'face')!;
    const mic = segments.find((s) => s.tracks[0]!.source === 'mic')!;
    // Same replay process, same clock: the two first packets' arrival differ by the replay's start skew only.
    // Per-track files are aligned by their first packet's wall time; A/V drift over the recording
    // is where each file ENDS on that timeline (start + media duration) — equal for a synced feed.
    const fp = await probeRecording(face.file);
    const mp = await probeRecording(mic.file);
    const driftMs = face.tracks[0]!.firstPacketAt! + fp.durationS * 1000 - (mic.tracks[0]!.firstPacketAt! + mp.durationS * 1000);
    console.info(`A/V: first-packet skew ${face.tracks[0]!.firstPacketAt! - mic.tracks[0]!.firstPacketAt!} ms; end skew (drift) ${Math.round(driftMs)} ms over ${fp.durationS} s`);
    expect(Math.abs(driftMs)).toBeLessThan(200);
  }, 120_000);

  it('a worker SIGKILL ends the segment cleanly; a new recorder on the new router starts a new valid segment', async () => {
    const a = await newRouter();
    const feedA = await feedRouter({ router: a.router, media: [media.face, media.mic] });
    const recA = await SessionRecorder.start({ router: a.router, dir, sessionId: 'S2', logger });
    const segsA: RecordedSegment[] = [];
    recA.on('segmentclosed', (s) => segsA.push(s));
    await recA.add(feedA.tracks[0]!.producer, { source: 'face' });
    await recA.add(feedA.tracks[1]!.producer, { source: 'mic' });
    await sleep(3000);
    const died = new Promise((r) => a.worker.once('died', r));
    process.kill(a.worker.pid!, 'SIGKILL');
    await died;
    // The node starts the new recorder at once; the old segments close on their own (≤ 10 s, see TrackRecorder).
    const oldClosed = recA.stop().then(() => feedA.stop());
    const b = await newRouter();
    const feedB = await feedRouter({ router: b.router, media: [media.face, media.mic] });
    const recB = await SessionRecorder.start({ router: b.router, dir, sessionId: 'S2', logger });
    const segsB: RecordedSegment[] = [];
    recB.on('segmentclosed', (s) => segsB.push(s));
    await recB.add(feedB.tracks[0]!.producer, { source: 'face' });
    await recB.add(feedB.tracks[1]!.producer, { source: 'mic' });
    await sleep(3000);
    await recB.stop();
    await feedB.stop();
    await oldClosed;
    expect(segsA.map((s) => s.reason)).toEqual(['router-closed', 'router-closed']);
    expect(segsB.map((s) => s.reason)).toEqual(['stopped', 'stopped']);

    for (const s of [...segsA, ...segsB]) {
      const t = s.tracks[0]!;
      await expectValid(s, t.kind, (s.endedAt - t.firstPacketAt!) / 1000);
    }
    const gapStart = Math.max(...segsA.map((s) => s.endedAt));
    const gapEnd = Math.min(...segsB.map((s) => s.tracks[0]!.firstPacketAt!));
    expect(gapEnd).toBeGreaterThan(gapStart);
    console.info(`worker death gap: ${gapStart} → ${gapEnd} (${gapEnd - gapStart} ms)`);
  }, 120_000);

  it('a closed producer ends only its own segment; the others keep recording', async () => {
    const { router } = await newRouter();
    const feeder = await feedRouter({ router, media: [media.face, media.mic] });
    const rec = await SessionRecorder.start({ router, dir, sessionId: 'S3', logger });
    const segments: RecordedSegment[] = [];
    rec.on('segmentclosed', (s) => segments.push(s));
    await rec.add(feeder.tracks[0]!.producer, { source: 'face' });
    await rec.add(feeder.tracks[1]!.producer, { source: 'mic' });
    await sleep(2500);
    const closed = new Promise<RecordedSegment>((r) => rec.once('segmentclosed', r));
    feeder.tracks[0]!.producer.close();
    // No packets after the producer closed: ffmpeg ends its read at the SDP listen_timeout (10 s), cleanly.
    await closed;
    expect(segments.map((s) => [s.tracks[0]!.source, s.reason])).toEqual([['face', 'producer-closed']]);
    expect(rec.producerIds).toEqual([feeder.tracks[1]!.producer.id]);
    await rec.stop();
    await feeder.stop();
    expect(segments.map((s) => [s.tracks[0]!.source, s.reason])).toEqual([['face', 'producer-closed'], ['mic', 'stopped']]);
    for (const s of segments) await expectValid(s, s.tracks[0]!.kind, (s.endedAt - s.tracks[0]!.firstPacketAt!) / 1000);
  }, 120_000);
});

describe('SessionRecorder under loss (ffmpeg has no NACK/RTX path)', () => {
  async function recordFace(loss: number): Promise<{ seg: RecordedSegment; dropped: number; frames: number; durationS: number }> {
    const { router } = await newRouter();
    const feeder = await feedRouter({ router, media: [media.face] });
    const relay = lossyRelays(loss);
    const rec = await SessionRecorder.start({ router, dir, sessionId: `L${loss}`, logger, via: relay.via });
    const segments: RecordedSegment[] = [];
    rec.on('segmentclosed', (s) => segments.push(s));
    await rec.add(feeder.tracks[0]!.producer, { source: 'face' });
    await sleep(9000);
    await rec.stop();
    await feeder.stop();
    relay.stats.close();
    const seg = segments[0]!;
    const p = await probeRecording(seg.file);
    expect(p.streams.map((s) => s.codec_name)).toEqual(['vp8']);
    expect(p.decodeErrors).toBe('');
    const expected = (seg.endedAt - seg.tracks[0]!.firstPacketAt!) / 1000;
    expect(Math.abs(p.durationS - expected) / expected).toBeLessThan(0.1);
    return { seg, dropped: relay.stats.dropped, frames: await countVideoPackets(seg.file), durationS: p.durationS };
  }

  it('5 % loss between mediasoup and the recorder: the file stays valid and of the right length, but frames are missing', async () => {
    const clean = await recordFace(0);
    const lossy = await recordFace(0.05);
    expect(clean.dropped).toBe(0);
    expect(lossy.dropped).toBeGreaterThan(20);
    const cleanFps = clean.frames / clean.durationS;
    const lossyFps = lossy.frames / lossy.durationS;
    // The feed is 30 fps; ffmpeg's VP8 depacketizer drops a frame with a missing packet (and what
    // depends on it) silently — no decoder error, just fewer frames. The recorder cannot ask again.
    expect(cleanFps).toBeGreaterThan(27);
    expect(lossyFps).toBeLessThan(cleanFps * 0.95);
    console.info(
      `5 % loss: ${lossy.dropped} RTP packets dropped → ${lossy.frames} frames in ${lossy.durationS} s (${lossyFps.toFixed(1)} fps) vs clean ${clean.frames} in ${clean.durationS} s (${cleanFps.toFixed(1)} fps)`,
    );
  }, 180_000);
});
