import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingStore } from '@rvw/signaling/recording/RecordingStore';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';
import { WsClient } from '../harness/wsClient';

const run = promisify(execFile);
const ITEM = '000117013000';
const HUOQIU = '341522';

// Listing and playing a case's recordings over HTTP. The segment is a FIXTURE: a WebM made by
// ffmpeg and kept through the real RecordingStore.add (the recorder itself is tested in
// sessionRecorder.test.ts); what is tested here is who may have it, Range, and the audit.
describe('a case’s recordings over HTTP', () => {
  let t: TestNode;
  let counter: WsClient;
  let clerk: WsClient;
  let clerkCookie: string;
  let otherClerkCookie: string;
  let counterCookie: string;
  let caseId: string;
  let sha: string;
  let bytes: Buffer;

  beforeAll(async () => {
    t = await startTestNode();
    const c = await t.counter('wujiang-kyth-01');
    const k = await t.clerk(HUOQIU, [ITEM], '霍邱 王芳');
    const other = await t.clerk(HUOQIU, [ITEM], '霍邱 李强');
    clerkCookie = `${k.cookie.name}=${k.cookie.value}`;
    otherClerkCookie = `${other.cookie.name}=${other.cookie.value}`;
    counterCookie = c.api.cookieHeader;
    counter = await WsClient.connect(t.origin, c.cookie);
    clerk = await WsClient.connect(t.origin, k.cookie);
    caseId = (await counter.request('queue.join', { partnershipId: 'wujiang-huoqiu', itemCode: ITEM, applicant: { name: '刘桂英', idNumber: withCheckDigit('32058419580303123') } })).id;
    await clerk.request('queue.accept', { caseId });

    const file = path.join(t.dataDir, 'fixture.webm');
    await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=15', '-t', '3', '-c:v', 'libvpx', '-b:v', '200k', '-y', file]);
    bytes = await readFile(file);
    sha = createHash('sha256').update(bytes).digest('hex');
    const now = Date.now();
    await new RecordingStore({ dataDir: t.dataDir, redis: t.node.redis }).add(caseId, {
      sessionId: caseId, file, sha256: sha, bytes: bytes.length, startedAt: now - 3000, endedAt: now, reason: 'stopped',
      tracks: [{ source: 'face', kind: 'video', codec: 'video/VP8', producerId: 'p1', firstPacketAt: now - 2990 }],
    }, 'test-node');
  }, 60_000);
  afterAll(async () => {
    counter?.close();
    clerk?.close();
    await t?.dispose();
  });

  const get = (cookie: string, suffix = '', headers: Record<string, string> = {}) => fetch(`${t.origin}/api/cases/${caseId}/recordings${suffix}`, { headers: { cookie, ...headers } });
  const viewed = async () => (await t.node.cases.audit(caseId)).events.filter((e) => e.action === 'recording.viewed');

  it('the handling clerk lists the segments with the timeline markers; the access is audited once', async () => {
    const r = await get(clerkCookie);
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const body = (await r.json()) as { segments: { sha256: string; source: string }[]; markers: { kind: string; label: string; at: number }[] };
    expect(body.segments.map((s) => [s.sha256, s.source])).toEqual([[sha, 'face']]);
    expect(body.markers[0]).toMatchObject({ kind: 'accepted', label: '受理' });
    expect(body.markers[0]!.at).toBeGreaterThan(Date.now() - 120_000);
    await get(clerkCookie);
    const events = await viewed();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: { role: 'clerk' }, data: {} });
  });

  it('the serving region’s administrator streams a segment with Range; many Range requests are one audit event', async () => {
    const whole = await get(t.admin.cookieHeader, `/${sha}`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toMatch(/^video\/webm/);
    expect(whole.headers.get('cache-control')).toBe('no-store');
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
    const part = await get(t.admin.cookieHeader, `/${sha}`, { range: 'bytes=100-199' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);
    const events = (await viewed()).filter((e) => e.actor.role === 'admin');
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toEqual({ sha256: sha });
  });

  it('another clerk and the counter are refused with the reason; nothing is audited for them', async () => {
    const before = (await viewed()).length;
    for (const cookie of [otherClerkCookie, counterCookie]) {
      for (const suffix of ['', `/${sha}`]) {
        const r = await get(cookie, suffix);
        expect(r.status).toBe(403);
        expect(await r.json()).toMatchObject({ error: { code: 'FORBIDDEN', message: '无权查看此办件的录像：仅限办理地区管理员和受理该办件的工作人员' } });
      }
    }
    expect(await get('', '').then((r) => r.status)).toBe(401);
    expect((await viewed()).length).toBe(before);
  });

  it('the list also answers the case, its unrecorded gaps and its expired segments; a case number works where the id goes', async () => {
    const record = await t.node.cases.getCase(caseId);
    const node = t.node.cluster.nodeId;
    await t.node.cases.recordRecordingEvent(caseId, node, 'recording.gap', { from: 1000, to: 2500, reason: 'worker_died' });
    await t.node.cases.recordRecordingEvent(caseId, node, 'recording.expired', { sha256: 'e'.repeat(64), retentionDays: 180 });
    const body = (await (await get(clerkCookie)).json()) as { caseId: string; case: Record<string, unknown>; gaps: unknown[]; expired: string[] };
    expect(body.case).toMatchObject({ id: caseId, number: record.number, itemName: record.itemName, state: 'in_session', servingRegion: HUOQIU, acceptedAt: record.acceptedAt });
    expect(body.gaps).toEqual([{ from: 1000, to: 2500, reason: 'worker_died' }]);
    expect(body.expired).toEqual(['e'.repeat(64)]);
    // What an administrator types: the 办件编号.
    const byNumber = await fetch(`${t.origin}/api/cases/${record.number!}/recordings`, { headers: { cookie: t.admin.cookieHeader } });
    expect(byNumber.status).toBe(200);
    expect(((await byNumber.json()) as { caseId: string }).caseId).toBe(caseId);
    const unknown = await fetch(`${t.origin}/api/cases/341522-20200101-9999/recordings`, { headers: { cookie: t.admin.cookieHeader } });
    expect(unknown.status).toBe(404);
    // A number names the case for the policy too: another clerk is still refused.
    expect((await fetch(`${t.origin}/api/cases/${record.number!}/recordings`, { headers: { cookie: otherClerkCookie } })).status).toBe(403);
  });

  it('a hash not of this case or not a hash at all is refused', async () => {
    expect((await get(clerkCookie, `/${'0'.repeat(64)}`)).status).toBe(404);
    const bad = await get(clerkCookie, '/not-a-hash');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
  });
});
