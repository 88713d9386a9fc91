import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegionalNode } from '@rvw/signaling/app/RegionalNode';
import { NODE_AUTH_HEADER, signNodeFileRequest } from '@rvw/signaling/cluster/nodeFileAuth';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';
import { WsClient } from '../harness/wsClient';
import { TINY_PNG_BASE64 } from '../security/support/fixtures';

const ITEM = '000117013000';
const HUOQIU = '341522';
const SECRET = 'test-cluster-secret-0123456789abcdef';
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

// Each region runs its own disks: node A (吴江's counter) and node B (霍邱's clerk) share Redis but
// not a data directory. What one captured or issued, the other fetches from it, signed with the
// cluster secret and checked against the hash the file is named by.
describe('files across nodes with separate disks', () => {
  let t: TestNode;
  let b: RegionalNode;
  let bData: string;
  let counter: WsClient;
  let clerkOnB: WsClient;
  let counterApi: Awaited<ReturnType<TestNode['counter']>>['api'];
  let caseId: string;

  beforeAll(async () => {
    t = await startTestNode();
    bData = await mkdtemp(path.join(os.tmpdir(), 'rvw-node-b-'));
    b = await t.startSecondNode({ RVW_DATA_DIR: bData, RVW_PKI_DIR: t.node.configPkiDir, RVW_NODE_REGIONS: HUOQIU });
    const clerk = await t.clerk(HUOQIU, [ITEM], '霍邱 王芳');
    const c = await t.counter('wujiang-kyth-01');
    counterApi = c.api;
    counter = await WsClient.connect(t.origin, c.cookie);
    clerkOnB = await WsClient.connect(b.url, clerk.cookie);
    const opened = await counter.request('queue.join', {
      partnershipId: 'wujiang-huoqiu',
      itemCode: ITEM,
      applicant: { name: '刘桂英', idNumber: withCheckDigit('32058419580303123') },
    });
    caseId = opened.id;
    await clerkOnB.request('queue.accept', { caseId });
  });
  afterAll(async () => {
    counter?.close();
    clerkOnB?.close();
    await t?.dispose();
    await rm(bData, { recursive: true, force: true });
  });

  /** The clerk on B captures a 高拍仪 still; its SHA-256 as the case now lists it. */
  const capture = async (dataBase64: string, materialId?: string) => {
    const view = await clerkOnB.request('material.capture', { caseId, mime: 'image/png', dataBase64, ...(materialId ? { materialId } : {}) });
    const sha = view.materials.at(-1)?.sha256;
    expect(sha).toBe(sha256(Buffer.from(dataBase64, 'base64')));
    return sha as string;
  };
  const materialUrl = (sha: string) => `/api/cases/${caseId}/materials/${sha}`;
  const bBlob = (sha: string) => path.join(bData, 'blobs', sha.slice(0, 2), sha);

  it('a material captured on B (霍邱) is shown at the counter on A (吴江), and A keeps its own copy', async () => {
    const sha = await capture(TINY_PNG_BASE64, 'id_card');
    const original = Buffer.from(TINY_PNG_BASE64, 'base64');
    expect(sha).toBe(sha256(original));
    expect(await readFile(bBlob(sha))).toEqual(original);
    // Only B holds it until someone on A asks.
    expect(await t.node.redis.hKeys(`rvw:files:blob:${sha}`)).toEqual([b.cluster.nodeId]);

    const response = await fetch(`${t.origin}${materialUrl(sha)}`, { headers: { cookie: counterApi.cookieHeader } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await response.arrayBuffer())).toEqual(original);
    // A now holds its own copy: B's can go and A still serves it.
    expect((await t.node.redis.hKeys(`rvw:files:blob:${sha}`)).sort()).toEqual([b.cluster.nodeId, t.node.cluster.nodeId].sort());
    await rm(bBlob(sha));
    const again = await fetch(`${t.origin}${materialUrl(sha)}`, { headers: { cookie: counterApi.cookieHeader } });
    expect(Buffer.from(await again.arrayBuffer())).toEqual(original);
  });

  it('a certificate issued on B prints at the counter on A: the very bytes B signed', async () => {
    const doc = await clerkOnB.request('document.issue', { caseId, docType: 'payment_certificate' });
    const token = await counterApi.call<{ url: string }>('POST', `/api/documents/${doc.number}/print-token`);
    expect(token.ok).toBe(true);
    const response = await fetch(`${t.origin}${token.data.url}`, { headers: { cookie: counterApi.cookieHeader } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    const bytes = new Uint8Array(await response.arrayBuffer());
    const issued = await b.documentStore.get(doc.number);
    expect(issued).toBeDefined();
    expect(sha256(bytes)).toBe(issued?.sha256);
    expect(await readFile(path.join(bData, 'documents', issued!.sha256.slice(0, 2), `${issued!.sha256}.pdf`))).toEqual(Buffer.from(bytes));
    expect(Buffer.from(bytes.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
  });

  it('a holder that sends other bytes than the hash names is not believed: FILE_UNAVAILABLE, nothing stored', async () => {
    // A second capture of different bytes, then B's copy is corrupted on disk.
    const png = Buffer.from(TINY_PNG_BASE64, 'base64');
    const other = Buffer.concat([png, Buffer.from('-second')]);
    const sha = await capture(other.toString('base64'));
    await writeFile(bBlob(sha), Buffer.from('tampered bytes'));
    const response = await fetch(`${t.origin}${materialUrl(sha)}`, { headers: { cookie: counterApi.cookieHeader } });
    const body = (await response.json()) as { ok: boolean; error?: { code: string; message: string } };
    expect(response.status).toBe(503);
    expect(body.error).toMatchObject({ code: 'FILE_UNAVAILABLE', message: '文件暂时无法从对方区域取得，请稍后重试' });
    expect(await t.node.redis.hKeys(`rvw:files:blob:${sha}`)).toEqual([b.cluster.nodeId]);
  });

  it('a holder whose machine is gone (it takes the connection and never answers) does not hold the fetch up: the live holder answers at once', async () => {
    const held: net.Socket[] = [];
    const silent = net.createServer((socket) => void held.push(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const png = Buffer.from(TINY_PNG_BASE64, 'base64');
      const sha = await capture(Buffer.concat([png, Buffer.from('-third')]).toString('base64'));
      // A dead node still listed as a holder, ahead of B.
      const key = `rvw:files:blob:${sha}`;
      const bOrigin = await t.node.redis.hGet(key, b.cluster.nodeId);
      await t.node.redis.del(key);
      await t.node.redis.hSet(key, 'gone-node', `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`);
      await t.node.redis.hSet(key, b.cluster.nodeId, bOrigin!);
      const started = Date.now();
      const response = await fetch(`${t.origin}${materialUrl(sha)}`, { headers: { cookie: counterApi.cookieHeader } });
      const elapsed = Date.now() - started;
      expect(response.status).toBe(200);
      expect(sha256(new Uint8Array(await response.arrayBuffer()))).toBe(sha);
      expect(held.length).toBeGreaterThanOrEqual(1);
      // Asked in turn, the silent holder would have kept the counter waiting its whole 10 s timeout.
      expect(elapsed).toBeLessThan(5000);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it('the internal route answers only signed, fresh, unreplayed requests', async () => {
    // The first test's still: A fetched it and holds it now.
    const sha = sha256(Buffer.from(TINY_PNG_BASE64, 'base64'));
    const url = `${t.origin}/internal/files/blob/${sha}`;
    const get = (header?: string) => fetch(url, { headers: header ? { [NODE_AUTH_HEADER]: header } : {} });

    expect((await get()).status).toBe(401);
    expect((await get(signNodeFileRequest('another-secret-0123456789abcdef-xyz', 'blob', sha, 'intruder', Date.now()))).status).toBe(401);
    // Signed for another file: the signature covers the hash.
    expect((await get(signNodeFileRequest(SECRET, 'blob', 'a'.repeat(64), 'node-x', Date.now()))).status).toBe(401);
    expect((await get(signNodeFileRequest(SECRET, 'blob', sha, 'node-x', Date.now() - 120_000))).status).toBe(401);

    const good = signNodeFileRequest(SECRET, 'blob', sha, 'node-x', Date.now());
    const first = await get(good);
    expect(first.status).toBe(200);
    expect(sha256(new Uint8Array(await first.arrayBuffer()))).toBe(sha);
    expect((await get(good)).status).toBe(401);
  });
});
