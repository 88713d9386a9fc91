import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevPki } from '@rvw/infra/pki/ensureDevPki';
import { SignerRegistry, decodePem, type Signer } from '@rvw/documents';
import { encodeManifest, signManifest, type EvidenceManifest } from '@rvw/documents/evidence/EvidenceManifest';
import type { RegionalNode } from '@rvw/signaling/app/RegionalNode';
import { verifyEvidenceBundle, type EvidenceVerdict } from '@rvw/signaling/evidence/verifyEvidenceBundle';
import { withCheckDigit } from '../harness/idNumber';
import { startTestNode, type TestNode } from '../harness/testNode';
import { WsClient } from '../harness/wsClient';
import { TINY_PNG_BASE64 } from '../security/support/fixtures';

const run = promisify(execFile);
const ITEM = '000117013000';
const HUOQIU = '341522';
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

// One case handled across two nodes with their own disks (the 吴江 counter on A, the 霍邱 clerk
// on B), taken out as one evidence bundle and checked offline, as an administrator of either
// region would: the CLI with only the CA certificates, no server.
describe('a case’s evidence bundle', () => {
  let t: TestNode;
  let b: RegionalNode;
  let bData: string;
  let work: string;
  let caFile: string;
  let counter: WsClient;
  let clerkOnB: WsClient;
  let clerkCookie: string;
  let otherClerkCookie: string;
  let counterCookie: string;
  let caseId: string;
  let caseNumber: string;
  let bundleFile: string;

  beforeAll(async () => {
    t = await startTestNode();
    bData = await mkdtemp(path.join(os.tmpdir(), 'rvw-node-b-'));
    work = await mkdtemp(path.join(os.tmpdir(), 'rvw-evidence-'));
    caFile = path.join(t.node.configPkiDir, 'ca.pem');
    b = await t.startSecondNode({ RVW_DATA_DIR: bData, RVW_PKI_DIR: t.node.configPkiDir, RVW_NODE_REGIONS: HUOQIU });
    const clerk = await t.clerk(HUOQIU, [ITEM], '霍邱 王芳');
    const other = await t.clerk(HUOQIU, [ITEM], '霍邱 李强');
    const c = await t.counter('wujiang-kyth-01');
    clerkCookie = `${clerk.cookie.name}=${clerk.cookie.value}`;
    otherClerkCookie = `${other.cookie.name}=${other.cookie.value}`;
    counterCookie = c.api.cookieHeader;
    counter = await WsClient.connect(t.origin, c.cookie);
    clerkOnB = await WsClient.connect(b.url, clerk.cookie);
    const opened = await counter.request('queue.join', {
      partnershipId: 'wujiang-huoqiu',
      itemCode: ITEM,
      applicant: { name: '刘桂英', idNumber: withCheckDigit('32058419580303123') },
    });
    caseId = opened.id;
    await clerkOnB.request('queue.accept', { caseId });
    // The 高拍仪 still on B, the applicant's signature on A, chat both ways, a certificate signed on B.
    await clerkOnB.request('material.capture', { caseId, mime: 'image/png', dataBase64: TINY_PNG_BASE64, materialId: 'id_card' });
    await counter.request('signature.submit', { caseId, pngBase64: Buffer.concat([Buffer.from(TINY_PNG_BASE64, 'base64'), Buffer.from('sig')]).toString('base64') });
    await counter.request('chat.send', { caseId, text: '请问需要带户口簿吗？' });
    await clerkOnB.request('chat.send', { caseId, text: '不需要，身份证即可。' });
    const doc = await clerkOnB.request('document.issue', { caseId, docType: 'payment_certificate' });
    expect(doc.number).toBeTruthy();
    caseNumber = (await b.cases.getCase(caseId)).number!;
  });
  afterAll(async () => {
    counter?.close();
    clerkOnB?.close();
    await t?.dispose();
    await rm(bData, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  const exportFrom = (origin: string, cookie: string) => fetch(`${origin}/api/cases/${caseId}/evidence`, { headers: { cookie } });
  const anchors = async () => decodePem(await readFile(caFile, 'utf8'));
  const failed = (v: EvidenceVerdict) => v.checks.filter((c) => !c.ok).map((c) => [c.code, c.path ?? '']);

  it('the clerk who handled the case exports it on B: every member listed with its hash, the manifest signed, the export in the audit chain', async () => {
    const response = await exportFrom(b.url, clerkCookie);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-tar');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="evidence-${caseNumber}.tar"`);
    bundleFile = path.join(work, 'bundle.tar');
    await writeFile(bundleFile, Buffer.from(await response.arrayBuffer()));

    // A plain tar any tool reads, the manifest and its signature first.
    const entries: string[] = [];
    await tar.list({ file: bundleFile, onReadEntry: (e) => entries.push(e.path) });
    expect(entries.slice(0, 2)).toEqual(['manifest.json', 'manifest.json.p7s']);
    const out = path.join(work, 'x');
    await mkdir(out);
    await tar.extract({ file: bundleFile, cwd: out });
    const manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as EvidenceManifest;
    const record = await b.cases.getCase(caseId);
    expect(manifest).toMatchObject({ format: 'rvw-evidence/1', caseNumber, regions: [HUOQIU, '320509'] });
    expect(manifest.members.map((m) => m.role).sort()).toEqual(['audit_chain', 'case_record', 'chat', 'document', 'material', 'signature'].sort());
    for (const m of manifest.members) expect(sha256(await readFile(path.join(out, m.path))), m.path).toBe(m.sha256);
    // The material, the signature and the PDF are the very bytes the case names.
    const material = record.materials.find((m) => m.kind === 'document_camera')!;
    expect(manifest.members.find((m) => m.role === 'material')?.sha256).toBe(material.sha256);
    expect(manifest.members.find((m) => m.role === 'signature')?.sha256).toBe(record.applicantSignatureSha256);
    expect(manifest.members.find((m) => m.role === 'document')?.sha256).toBe(record.documents[0]!.sha256);
    // The export is the chain's last event, by the clerk, and the bundle carries it.
    const audit = JSON.parse(await readFile(path.join(out, 'audit.json'), 'utf8')) as { action: string; actor: { id: string; role: string } }[];
    expect(audit.at(-1)).toMatchObject({ action: 'evidence.exported', actor: { role: 'clerk' } });
    expect((await b.cases.audit(caseId)).events.at(-1)?.action).toBe('evidence.exported');
  });

  it('verifies offline: signature, members, record, audit chain, chat and the signed PDF', async () => {
    const v = await verifyEvidenceBundle(bundleFile, { trustAnchors: await anchors() });
    expect(failed(v)).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.caseNumber).toBe(caseNumber);
    expect(v.checks.map((c) => c.code)).toEqual(
      expect.arrayContaining(['MANIFEST_OK', 'SIGNATURE_OK', 'MEMBERS_OK', 'CASE_RECORD_OK', 'AUDIT_CHAIN_OK', 'CHAT_OK', 'DOCUMENT_OK', 'RECORDINGS_OK']),
    );
  });

  it('`npm run verify-evidence` with only the CA file: exit 0 and a line per check; a tampered bundle: exit 1 naming the member', async () => {
    const ok = await run('npx', ['tsx', '--conditions=source', 'signaling/src/evidence/verifyEvidenceCli.ts', bundleFile, '--ca', caFile], { cwd: process.cwd() });
    expect(ok.stdout).toContain('通过  [SIGNATURE_OK]');
    expect(ok.stdout).toContain('结论：证据包完整，签名有效。');
    const tampered = await repack('tampered-material.tar', async (dir, m) => flipByte(path.join(dir, m.members.find((x) => x.role === 'material')!.path)));
    const bad = await run('npx', ['tsx', '--conditions=source', 'signaling/src/evidence/verifyEvidenceCli.ts', tampered, '--ca', caFile, '--json']).catch((e: { code: number; stdout: string }) => e);
    expect((bad as { code: number }).code).toBe(1);
    const verdict = JSON.parse((bad as { stdout: string }).stdout) as EvidenceVerdict;
    expect(verdict.ok).toBe(false);
    expect(failed(verdict)).toEqual([['MEMBER_HASH_MISMATCH', expect.stringMatching(/^materials\/[0-9a-f]{64}\.png$/)]]);
  });

  it('each kind of tampering is reported exactly', async () => {
    const trust = await anchors();
    const check = async (name: string, change: (dir: string, m: EvidenceManifest) => Promise<void>) => failed(await verifyEvidenceBundle(await repack(name, change), { trustAnchors: trust }));
    // The manifest edited (another exporter named): the signature no longer covers it.
    expect(
      await check('manifest.tar', async (dir, m) => writeFile(path.join(dir, 'manifest.json'), encodeManifest({ ...m, exporter: '他人（fake）' }))),
    ).toEqual([['MANIFEST_DIGEST_MISMATCH', 'manifest.json.p7s']]);
    // A manifest that is no longer JSON: said so, nothing else is trusted.
    expect(await check('garbled.tar', async (dir) => flipByte(path.join(dir, 'manifest.json'), 40))).toEqual([['MANIFEST_MALFORMED', '']]);
    // A member removed, another added.
    expect(await check('dropped.tar', async (dir) => rm(path.join(dir, 'chat.json')))).toEqual([
      ['MEMBER_MISSING', 'chat.json'],
      ['CHAT_MISMATCH', ''],
    ]);
    expect(await check('added.tar', async (dir) => writeFile(path.join(dir, 'extra.txt'), 'x'))).toEqual([['MEMBER_EXTRA', 'extra.txt']]);
    // The PDF changed after signing, the manifest re-signed by the region (an insider): it is not
    // the document the case record names.
    expect(
      await check('pdf.tar', async (dir, m) => {
        const doc = m.members.find((x) => x.role === 'document')!;
        await appendBytes(path.join(dir, doc.path));
        await resign(dir, m);
      }),
    ).toEqual([['DOCUMENT_MISSING', ''], ['DOCUMENT_NOT_IN_RECORD', expect.stringMatching(/^documents\//)]]);
    // …and with the record's hash changed to match too: the PDF's own signature no longer covers the file.
    expect(
      await check('pdf-and-record.tar', async (dir, m) => {
        const doc = m.members.find((x) => x.role === 'document')!;
        await appendBytes(path.join(dir, doc.path));
        const recordFile = path.join(dir, 'case.json');
        const record = JSON.parse(await readFile(recordFile, 'utf8')) as { documents: { sha256: string }[] };
        record.documents[0]!.sha256 = sha256(await readFile(path.join(dir, doc.path)));
        await writeFile(recordFile, `${JSON.stringify(record, null, 2)}\n`);
        await resign(dir, m);
      }),
    ).toEqual([['DOCUMENT_NOT_TOTAL_DOCUMENT', expect.stringMatching(/^documents\//)]]);
    // An audit event edited, manifest re-signed: the chain says where it breaks.
    expect(
      await check('audit.tar', async (dir, m) => {
        const file = path.join(dir, 'audit.json');
        const events = JSON.parse(await readFile(file, 'utf8')) as { data: Record<string, unknown> }[];
        events[1]!.data = { ...events[1]!.data, forged: true };
        await writeFile(file, `${JSON.stringify(events, null, 2)}\n`);
        await resign(dir, m);
      }),
    ).toEqual([['AUDIT_CHAIN_BROKEN', '']]);
    // Signed by a key of another CA: untrusted.
    const otherPki = path.join(work, 'other-pki');
    await ensureDevPki({ pkiDir: otherPki, regions: [{ code: HUOQIU, name: '冒充的霍邱' }] });
    const stranger = (await SignerRegistry.load({ pkiDir: otherPki })).get(HUOQIU)!;
    expect(await check('stranger.tar', async (dir, m) => resign(dir, m, stranger))).toEqual([['CERTIFICATE_UNTRUSTED', 'manifest.json.p7s']]);
  });

  it('either region verifies what the other exported: an administrator exports on A (吴江), fetching B’s files, and the bundle verifies', async () => {
    const response = await exportFrom(t.origin, t.admin.cookieHeader);
    expect(response.status).toBe(200);
    const file = path.join(work, 'from-a.tar');
    await writeFile(file, Buffer.from(await response.arrayBuffer()));
    const v = await verifyEvidenceBundle(file, { trustAnchors: await anchors() });
    expect(failed(v)).toEqual([]);
  });

  it('nobody else takes the bundle: the counter, another clerk of the item, no one signed in — FORBIDDEN, nothing recorded', async () => {
    const before = (await b.cases.getCase(caseId)).version;
    for (const cookie of [counterCookie, otherClerkCookie, '']) {
      const response = await exportFrom(b.url, cookie);
      expect(response.status, cookie).toBeGreaterThanOrEqual(401);
      expect(response.status).toBeLessThanOrEqual(403);
      const body = (await response.json()) as { ok: boolean; error: { code: string } };
      expect(body.ok).toBe(false);
      expect(['FORBIDDEN', 'UNAUTHENTICATED', 'AUTH_REQUIRED']).toContain(body.error.code);
    }
    expect((await b.cases.getCase(caseId)).version).toBe(before);
    // No staging left behind by any export.
    expect(await readdir(path.join(bData, 'tmp')).catch(() => [])).toEqual([]);
  });

  /** Extracts the good bundle, changes it, packs it again (manifest first). */
  async function repack(name: string, change: (dir: string, m: EvidenceManifest) => Promise<void>): Promise<string> {
    const dir = path.join(work, `${name}.d`);
    await mkdir(dir, { recursive: true });
    await tar.extract({ file: bundleFile, cwd: dir });
    const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as EvidenceManifest;
    await change(dir, manifest);
    const files: string[] = [];
    const walk = async (sub: string) => {
      for (const e of await readdir(path.join(dir, sub), { withFileTypes: true })) {
        const p = sub ? `${sub}/${e.name}` : e.name;
        if (e.isDirectory()) await walk(p);
        else files.push(p);
      }
    };
    await walk('');
    const out = path.join(work, name);
    await tar.create({ file: out, cwd: dir, portable: true }, files.sort((x, y) => (x.startsWith('manifest') ? -1 : y.startsWith('manifest') ? 1 : 0)));
    return out;
  }
  async function flipByte(file: string, at = 0): Promise<void> {
    const bytes = await readFile(file);
    bytes[at] = bytes[at]! ^ 0x01;
    await writeFile(file, bytes);
  }
  async function appendBytes(file: string): Promise<void> {
    await writeFile(file, Buffer.concat([await readFile(file), Buffer.from('\n% appended\n')]));
  }
  /** Recomputes the manifest's entries from the files and signs it again (the region's key unless another is given). */
  async function resign(dir: string, m: EvidenceManifest, other?: Signer): Promise<void> {
    const signer = other ?? (await SignerRegistry.load({ pkiDir: t.node.configPkiDir })).get(HUOQIU)!;
    for (const member of m.members) {
      const bytes = await readFile(path.join(dir, member.path));
      member.sha256 = sha256(bytes);
      member.size = bytes.byteLength;
    }
    const bytes = encodeManifest(m);
    await writeFile(path.join(dir, 'manifest.json'), bytes);
    await writeFile(path.join(dir, 'manifest.json.p7s'), await signManifest(bytes, signer));
  }
});
