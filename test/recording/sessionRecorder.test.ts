import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIA_CODECS } from '@rvw/sfu';
import { PictureStarts } from '@rvw/sfu/PictureStarts';
import { SessionRecorder, fileDigest, type RecordedSegment, type RecordedSource } from '@rvw/sfu/recording/index';
import { encodeAudio, encodeVideo, feedRouter, type EncodedMedia } from '../harness/rtpFeeder';
import { lossyRelays } from './lossyRelay';
import { countVideoPackets, probeRecording } from './recordingProbe';

const run = promisify(execFile);
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
  // 10 % of the length, plus 0.25 s for the stamp itself: firstPacketAt is taken when the worker's
  // trace event reaches Node, which on a loaded 2-core machine lags the packet (215 ms in one CI,
  // a 2 s file measured as 1.785 s). A file missing a real part of its length still fails.
  expect(Math.abs(p.durationS - expectedS), `${seg.tracks[0]!.source}: ${p.durationS} s in the file, ${expectedS} s recorded`).toBeLessThan(0.1 * expectedS + 0.25);
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

describe('SessionRecorder: a recorder that ends under a live track', () => {
  it('a single track\u2019s recorder killed: the track goes on in a process of its own, after a gap', async () => {
    const { router } = await newRouter();
    const feeder = await feedRouter({ router, media: [media.document] });
    const rec = await SessionRecorder.start({ router, dir, sessionId: 'R1', logger });
    const segments: RecordedSegment[] = [];
    rec.on('segmentclosed', (s) => segments.push(s));
    await rec.add(feeder.tracks[0]!.producer, { source: 'document' });
    const [first] = rec.recorderPids;
    await sleep(2000);
    const killedAt = Date.now();
    process.kill(first!, 'SIGKILL');
    await expect.poll(() => rec.recorderPids.length === 1 && !rec.recorderPids.includes(first!), { timeout: 15_000 }).toBe(true);
    await sleep(3000);
    await rec.stop();
    await feeder.stop();
    const after = segments.filter((s) => s.reason === 'stopped');
    expect(after.map((s) => s.tracks[0]!.source)).toEqual(['document']);
    const t = after[0]!.tracks[0]!;
    expect(t.firstPacketAt!).toBeGreaterThan(killedAt);
    await expectValid(after[0]!, 'video', (after[0]!.endedAt - t.firstPacketAt!) / 1000);
  }, 120_000);

  it('a recorder that dies while its picture is paused: nothing starts for a picture that sends nothing; recorded again when it resumes', async () => {
    const { router } = await newRouter();
    const feeder = await feedRouter({ router, media: [media.face] });
    const producer = feeder.tracks[0]!.producer;
    const rec = await SessionRecorder.start({ router, dir, sessionId: 'R2', logger });
    const segments: RecordedSegment[] = [];
    rec.on('segmentclosed', (s) => segments.push(s));
    await rec.add(producer, { source: 'face' });
    await sleep(2000);
    await producer.pause();
    // (A pause alone does not end it: mediasoup's RTCP to the recorder keeps its read alive.)
    process.kill(rec.recorderPids[0]!, 'SIGKILL');
    await expect.poll(() => rec.producerIds, { timeout: 15_000 }).toEqual([]);
    await sleep(1000);
    expect(rec.recorderPids).toEqual([]);
    const resumedAt = Date.now();
    await producer.resume();
    await expect.poll(() => rec.producerIds, { timeout: 15_000 }).toEqual([producer.id]);
    await sleep(3000);
    await rec.stop();
    await feeder.stop();
    const again = segments.filter((s) => s.reason === 'stopped');
    expect(again).toHaveLength(1);
    expect(again[0]!.tracks[0]!.firstPacketAt!).toBeGreaterThanOrEqual(resumedAt);
    await expectValid(again[0]!, 'video', (again[0]!.endedAt - again[0]!.tracks[0]!.firstPacketAt!) / 1000);
  }, 120_000);
});

describe('SessionRecorder: the tracks of a session in one recorder process (addAll)', () => {
  const startTime = async (file: string) => Number((await run('ffprobe', ['-v', 'error', '-show_entries', 'format=start_time', '-of', 'csv=p=0', file])).stdout.trim());

  it('flowing tracks share one process (one valid file each, starting at 0); a paused picture gets its own; a closed producer ends its file with the process', async () => {
    const { router } = await newRouter();
    const feeder = await feedRouter({ router, media: [media.face, media.document, media.mic, media.mic, media.face] });
    const sources: RecordedSource[] = ['face', 'document', 'mic', 'clerk_mic', 'clerk_face'];
    // The clerk's camera is off at 受理: its m-line would get nothing while ffmpeg probes.
    const dark = feeder.tracks[4]!.producer;
    await dark.pause();
    await sleep(1000);
    const rec = await SessionRecorder.start({ router, dir, sessionId: 'G1', logger });
    const segments: RecordedSegment[] = [];
    rec.on('segmentclosed', (s) => segments.push(s));
    const t0 = Date.now();
    await rec.addAll(feeder.tracks.map((t, i) => ({ producer: t.producer, source: sources[i]! })));
    console.info(`addAll ready in ${Date.now() - t0} ms`);
    // Two processes: the four flowing tracks together, the dark camera alone.
    expect(rec.recorderPids).toHaveLength(2);
    expect(rec.producerIds.sort()).toEqual(feeder.tracks.map((t) => t.producer.id).sort());
    await sleep(1500);
    await dark.resume();
    await sleep(2000);
    // The 高拍仪 goes away mid-session: its segment ends now, its file with the process.
    const docClosedAt = Date.now();
    feeder.tracks[1]!.producer.close();
    await sleep(2500);
    await rec.stop();
    await feeder.stop();

    expect(segments.map((s) => [s.tracks[0]!.source, s.reason]).sort()).toEqual(
      [['face', 'stopped'], ['document', 'producer-closed'], ['mic', 'stopped'], ['clerk_mic', 'stopped'], ['clerk_face', 'stopped']].sort(),
    );
    const doc = segments.find((s) => s.tracks[0]!.source === 'document')!;
    expect(Math.abs(doc.endedAt - docClosedAt)).toBeLessThan(200);
    for (const s of segments) {
      const t = s.tracks[0]!;
      expect(t.firstPacketAt, t.source).not.toBeNull();
      await expectValid(s, t.kind, (s.endedAt - t.firstPacketAt!) / 1000);
      // Each file on its own timeline from 0: the playback page places it by its first packet.
      expect(await startTime(s.file), t.source).toBe(0);
    }
    // Distinct files, the dark camera's from its own process, starting after it was turned on.
    expect(new Set(segments.map((s) => s.file)).size).toBe(5);
    const clerkFace = segments.find((s) => s.tracks[0]!.source === 'clerk_face')!;
    expect(clerkFace.tracks[0]!.firstPacketAt! - t0).toBeGreaterThan(1400);
    // One process, one clock: picture and voice of the same replay end together.
    const face = segments.find((s) => s.tracks[0]!.source === 'face')!;
    const mic = segments.find((s) => s.tracks[0]!.source === 'mic')!;
    const [fp, mp] = await Promise.all([probeRecording(face.file), probeRecording(mic.file)]);
    const driftMs = face.tracks[0]!.firstPacketAt! + fp.durationS * 1000 - (mic.tracks[0]!.firstPacketAt! + mp.durationS * 1000);
    console.info(`shared process A/V end skew ${Math.round(driftMs)} ms over ${fp.durationS} s`);
    expect(Math.abs(driftMs)).toBeLessThan(200);
  }, 120_000);

  it('a camera that sends nothing fails the shared process after its probe: the others go on alone, from then', async () => {
    const { router } = await newRouter();
    const feeder = await feedRouter({ router, media: [media.face, media.mic] });
    // A picture whose producer exists but never sends (a camera that stalled): nothing is fed to it.
    const darkTransport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: true });
    const dark = await darkTransport.produce({ kind: 'video', rtpParameters: { codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 }], encodings: [{ ssrc: 424242 }] } });
    await sleep(1000);
    const rec = await SessionRecorder.start({ router, dir, sessionId: 'G3', logger });
    const segments: RecordedSegment[] = [];
    rec.on('segmentclosed', (s) => segments.push(s));
    const t0 = Date.now();
    await rec.addAll([
      { producer: feeder.tracks[0]!.producer, source: 'face' },
      { producer: dark, source: 'document' },
      { producer: feeder.tracks[1]!.producer, source: 'mic' },
    ]);
    const [shared] = rec.recorderPids;
    expect(rec.recorderPids).toHaveLength(1);
    // ffmpeg gives up on the dark picture after its 3 s probe and fails the process; each track
    // is then recorded alone.
    await expect.poll(() => rec.recorderPids.length >= 2 && !rec.recorderPids.includes(shared!), { timeout: 15_000 }).toBe(true);
    const fellBackAt = Date.now() - t0;
    await sleep(3000);
    await rec.stop();
    await feeder.stop();
    darkTransport.close();
    const kept = segments.filter((s) => s.reason === 'stopped');
    // The dark one wrote nothing (no segment); the other two are valid files from the fallback on.
    expect(kept.map((s) => s.tracks[0]!.source).sort()).toEqual(['face', 'mic']);
    for (const s of kept) {
      const t = s.tracks[0]!;
      await expectValid(s, t.kind, (s.endedAt - t.firstPacketAt!) / 1000);
      expect(t.firstPacketAt! - t0).toBeGreaterThan(2500);
    }
    expect(segments.some((s) => s.tracks[0]!.source === 'document')).toBe(false);
    console.info(`dark camera: shared recorder replaced after ${fellBackAt} ms; the start lost: ${kept.map((s) => `${s.tracks[0]!.source} ${s.tracks[0]!.firstPacketAt! - t0} ms`).join(', ')}`);
  }, 120_000);

  it('a shared process that dies: each of its tracks goes on in a process of its own, after a gap', async () => {
    const { router } = await newRouter();
    const feeder = await feedRouter({ router, media: [media.face, media.mic] });
    await sleep(1000);
    const rec = await SessionRecorder.start({ router, dir, sessionId: 'G2', logger });
    const segments: RecordedSegment[] = [];
    rec.on('segmentclosed', (s) => segments.push(s));
    await rec.addAll([
      { producer: feeder.tracks[0]!.producer, source: 'face' },
      { producer: feeder.tracks[1]!.producer, source: 'mic' },
    ]);
    const [shared] = rec.recorderPids;
    expect(rec.recorderPids).toHaveLength(1);
    await sleep(2000);
    const killedAt = Date.now();
    process.kill(shared!, 'SIGKILL');
    // Both tracks are recorded again, each by a process of its own.
    await expect.poll(() => rec.recorderPids.length, { timeout: 15_000 }).toBe(2);
    expect(rec.recorderPids).not.toContain(shared);
    await sleep(3000);
    await rec.stop();
    await feeder.stop();
    // Whatever the killed process had written is kept as a segment of its own (ffmpeg holds a
    // WebM cluster — up to 5 s — in memory before writing it, so there may be nothing).
    for (const s of segments.filter((x) => x.reason === 'recorder-failed')) expect(s.endedAt).toBeGreaterThanOrEqual(killedAt);
    const after = segments.filter((s) => s.reason === 'stopped');
    expect(after.map((s) => s.tracks[0]!.source).sort()).toEqual(['face', 'mic']);
    for (const s of after) {
      const t = s.tracks[0]!;
      await expectValid(s, t.kind, (s.endedAt - t.firstPacketAt!) / 1000);
      // The gap is there to see: the failed segment ended at the kill, the new one starts after it.
      const failed = segments.find((x) => x.reason === 'recorder-failed' && x.tracks[0]!.source === t.source);
      if (failed) expect(failed.endedAt).toBeGreaterThanOrEqual(killedAt);
      expect(t.firstPacketAt!).toBeGreaterThan(failed?.endedAt ?? killedAt);
      console.info(`${t.source}: gap after the shared recorder died ${t.firstPacketAt! - killedAt} ms`);
    }
  }, 120_000);
});

describe('SessionRecorder armed before the call starts (holdForCall)', () => {
  it('a picture waits, paused, until the call starts it (PictureStarts) and one never started goes on its own at the timeout; a voice flows at once; tracks of two routers share one process', async () => {
    // The call's router (the applicant's face and voice) and a desk's (the clerk's face).
    const call = await newRouter();
    const desk = await newRouter();
    const callFeeder = await feedRouter({ router: call.router, media: [media.face, media.mic], loop: true });
    const deskFeeder = await feedRouter({ router: desk.router, media: [media.face], loop: true });
    await sleep(1000);
    const starts = new PictureStarts();
    const rec = await SessionRecorder.start({ router: call.router, dir, sessionId: 'H1', logger });
    const segments: RecordedSegment[] = [];
    rec.on('segmentclosed', (s) => segments.push(s));
    const [face, mic] = callFeeder.tracks.map((t) => t.producer);
    const clerkFace = deskFeeder.tracks[0]!.producer;
    const armedAt = Date.now();
    await rec.addAll(
      [
        { producer: face!, source: 'face' },
        { producer: mic!, source: 'mic' },
        { producer: clerkFace, source: 'clerk_face', router: desk.router },
      ],
      { holdForCall: { whenStarts: (id, start) => starts.once(id, start), timeoutMs: 1500 } },
    );
    expect(rec.recorderPids).toHaveLength(1);
    // Both pictures wait for their start; the voice does not.
    expect(starts.size).toBe(2);
    await sleep(800);
    const startedAt = Date.now();
    starts.starting(face!.id);
    expect(starts.size).toBe(1);
    // One armed after the picture started (its link did not wait) goes at once, not at the timeout.
    let late = false;
    starts.once(face!.id, () => (late = true));
    await Promise.resolve();
    expect(late).toBe(true);
    await sleep(3000);
    expect(starts.size).toBe(0);
    await rec.stop();
    await callFeeder.stop();
    await deskFeeder.stop();
    const first = Object.fromEntries(segments.map((s) => [s.tracks[0]!.source, s.tracks[0]!.firstPacketAt! - armedAt]));
    console.info(`held pictures, ms after arming: ${JSON.stringify(first)}; the face's start announced at ${startedAt - armedAt} ms, the timeout 1500 ms`);
    expect(segments.map((s) => s.tracks[0]!.source).sort()).toEqual(['clerk_face', 'face', 'mic']);
    expect(first.mic!).toBeLessThan(startedAt - armedAt);
    // Nothing of a held picture before its start (the feeder's keyframes come every 0.5 s).
    expect(first.face!).toBeGreaterThanOrEqual(startedAt - armedAt);
    expect(first.clerk_face!).toBeGreaterThanOrEqual(1500);
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
