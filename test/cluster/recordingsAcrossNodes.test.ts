import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegionalNode } from '@rvw/signaling/app/RegionalNode';
import { fileHoldersKey } from '@rvw/signaling/cluster/NodeFiles';
import { verifyEvidenceBundle } from '@rvw/signaling/evidence/verifyEvidenceBundle';
import { sweepRecordings } from '@rvw/signaling/recording/sweepRecordings';
import { silentLogger } from '@rvw/signaling/observability/logger';
import { decodePem } from '@rvw/documents';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';
import { WsClient } from '../harness/wsClient';

const run = promisify(execFile);
const ITEM = '000117013000';
const HUOQIU = '341522';

// Two nodes of one region behind a load balancer, each with its own disk: a segment recorded on A
// is played and exported by the clerk whose request lands on B — fetched from A, streamed to B's
// disk, checked against its hash. Retention deletes it on both and says so in the case's chain,
// and the evidence bundle exported afterwards still verifies. The segment is a FIXTURE (a WebM
// made by ffmpeg, kept through the node's real RecordingStore); the recorder is tested elsewhere.
describe('recorded segments across nodes of a region, and their retention', () => {
  let t: TestNode;
  let b: RegionalNode;
  let bData: string;
  let clerkCookie: string;
  let caseId: string;
  let sha: string;
  let bytes: Buffer;

  beforeAll(async () => {
    t = await startTestNode();
    bData = await mkdtemp(path.join(os.tmpdir(), 'rvw-node-b-'));
    b = await t.startSecondNode({ RVW_DATA_DIR: bData, RVW_PKI_DIR: t.node.configPkiDir });
    const c = await t.counter('wujiang-kyth-01');
    const k = await t.clerk(HUOQIU, [ITEM], '霍邱 王芳');
    clerkCookie = `${k.cookie.name}=${k.cookie.value}`;
    const counter = await WsClient.connect(t.origin, c.cookie);
    const clerk = await WsClient.connect(t.origin, k.cookie);
    caseId = (await counter.request('queue.join', { partnershipId: 'wujiang-huoqiu', itemCode: ITEM, applicant: { name: '刘桂英', idNumber: withCheckDigit('32058419580303123') } })).id;
    await clerk.request('queue.accept', { caseId });
    counter.close();
    clerk.close();

    const file = path.join(t.dataDir, 'fixture.webm');
    await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=15', '-t', '3', '-c:v', 'libvpx', '-b:v', '300k', '-y', file]);
    bytes = await readFile(file);
    sha = createHash('sha256').update(bytes).digest('hex');
    const now = Date.now();
    const segment = {
      sessionId: caseId, file, sha256: sha, bytes: bytes.length, startedAt: now - 3000, endedAt: now, reason: 'stopped' as const,
      tracks: [{ source: 'face' as const, kind: 'video' as const, codec: 'video/VP8', producerId: 'p1', firstPacketAt: now - 2990 }],
    };
    const kept = await t.node.recordings.add(caseId, segment, t.node.cluster.nodeId);
    await t.node.cases.recordRecordingEvent(caseId, t.node.cluster.nodeId, 'recording.segment', { sha256: kept.sha256, bytes: kept.bytes, source: kept.source });
  }, 60_000);
  afterAll(async () => {
    await t?.dispose();
    await rm(bData, { recursive: true, force: true });
  });

  const anchors = async () => decodePem(await readFile(path.join(t.node.configPkiDir, 'ca.pem'), 'utf8'));
  const saved = async (r: Response, name: string) => {
    const file = path.join(bData, `${name}.tar`);
    await writeFile(file, Buffer.from(await r.arrayBuffer()));
    return file;
  };

  it('played through B: fetched from A (streamed, checked), Range answered, and B keeps a copy', async () => {
    expect(await t.node.redis.hKeys(fileHoldersKey('recording', sha))).toEqual([t.node.cluster.nodeId]);
    expect(await b.recordings.has(sha)).toBe(false);
    const whole = await fetch(`${b.url}/api/cases/${caseId}/recordings/${sha}`, { headers: { cookie: clerkCookie } });
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('video/webm');
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
    expect(await b.recordings.has(sha)).toBe(true);
    expect((await t.node.redis.hKeys(fileHoldersKey('recording', sha))).sort()).toEqual([t.node.cluster.nodeId, b.cluster.nodeId].sort());
    const part = await fetch(`${b.url}/api/cases/${caseId}/recordings/${sha}`, { headers: { cookie: clerkCookie, range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);
    // The copy carries the original's date, so retention takes both together.
    const seg = (await b.recordings.list(caseId))[0]!;
    const { mtimeMs } = await stat(b.recordings.pathOf(sha));
    expect(Math.abs(mtimeMs - seg.endedAt)).toBeLessThan(1000);
  });

  it('a holder that sends other bytes is not believed: FILE_UNAVAILABLE, and nothing is kept', async () => {
    // B's copy goes; A's file is replaced by other bytes under the same name.
    await rm(b.recordings.pathOf(sha));
    const original = await readFile(t.node.recordings.pathOf(sha));
    await writeFile(t.node.recordings.pathOf(sha), Buffer.concat([original.subarray(0, 100), Buffer.from('tampered'), original.subarray(108)]));
    const r = await fetch(`${b.url}/api/cases/${caseId}/recordings/${sha}`, { headers: { cookie: clerkCookie } });
    expect(r.status).toBe(503);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('FILE_UNAVAILABLE');
    expect(await b.recordings.has(sha)).toBe(false);
    await writeFile(t.node.recordings.pathOf(sha), original);
  });

  it('exported through B: the bundle carries the segment fetched from A and verifies', async () => {
    await rm(b.recordings.pathOf(sha), { force: true });
    const r = await fetch(`${b.url}/api/cases/${caseId}/evidence`, { headers: { cookie: clerkCookie } });
    expect(r.status).toBe(200);
    const verdict = await verifyEvidenceBundle(await saved(r, 'one'), { trustAnchors: await anchors() });
    expect(verdict.checks.find((c) => c.kind === 'recordings')).toMatchObject({ ok: true, code: 'RECORDINGS_OK' });
    expect(verdict.ok).toBe(true);
  });

  it('past its retention: deleted on both nodes, recording.expired in the chain (once, by the recording node), and a later bundle still verifies', async () => {
    const old = new Date(Date.now() - 200 * 86_400_000);
    await utimes(t.node.recordings.pathOf(sha), old, old);
    await utimes(b.recordings.pathOf(sha), old, old);
    const logger = silentLogger();
    expect(await sweepRecordings({ store: b.recordings, cases: b.cases, nodeId: b.cluster.nodeId, retentionDays: 180, logger })).toBe(1);
    expect(await sweepRecordings({ store: t.node.recordings, cases: t.node.cases, nodeId: t.node.cluster.nodeId, retentionDays: 180, logger })).toBe(1);
    expect(await t.node.redis.hKeys(fileHoldersKey('recording', sha))).toEqual([]);
    const expired = (await t.node.cases.audit(caseId)).events.filter((e) => e.action === 'recording.expired');
    expect(expired).toHaveLength(1);
    expect(expired[0]).toMatchObject({ actor: { id: `node:${t.node.cluster.nodeId}`, role: 'system' }, data: { sha256: sha, retentionDays: 180 } });

    const gone = await fetch(`${b.url}/api/cases/${caseId}/recordings/${sha}`, { headers: { cookie: clerkCookie } });
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as { error: { message: string } }).error.message).toContain('超过保存期限');
    const r = await fetch(`${b.url}/api/cases/${caseId}/evidence`, { headers: { cookie: clerkCookie } });
    expect(r.status).toBe(200);
    const verdict = await verifyEvidenceBundle(await saved(r, 'two'), { trustAnchors: await anchors() });
    const rec = verdict.checks.find((c) => c.kind === 'recordings');
    expect(rec).toMatchObject({ ok: true, code: 'RECORDINGS_OK' });
    expect(rec?.message).toContain('1 个片段已过保存期限删除');
    expect(verdict.ok).toBe(true);
  });
});
