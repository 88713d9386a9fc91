import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevPki } from '@rvw/infra/pki/ensureDevPki';
import { SignerRegistry } from '@rvw/documents';
import { checkMembers as checkDigests, type MemberDigest } from '@rvw/documents/evidence/checkMembers';
import { describeMember, encodeManifest, signManifest, type EvidenceManifest } from '@rvw/documents/evidence/EvidenceManifest';
import { verifyManifestSignature } from '@rvw/documents/evidence/verifyManifestSignature';
import { REGIONS } from '../documents/support/fixtures';

const enc = new TextEncoder();

/** The archive reader measures each member as it streams; here, of bytes in memory. */
const checkMembers = (manifest: EvidenceManifest, members: ReadonlyMap<string, Uint8Array>) =>
  checkDigests(manifest, new Map([...members].map(([p, b]): [string, MemberDigest] => [p, { sha256: createHash('sha256').update(b).digest('hex'), size: b.byteLength }])));

function bundle(): { manifest: EvidenceManifest; members: Map<string, Uint8Array> } {
  const members = new Map<string, Uint8Array>([
    ['case.json', enc.encode('{"caseId":"c1"}')],
    ['audit.json', enc.encode('[{"seq":1}]')],
    ['materials/m1.jpg', new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3])],
    ['chat.json', enc.encode('[]')],
  ]);
  const roles = { 'case.json': 'case_record', 'audit.json': 'audit_chain', 'materials/m1.jpg': 'material', 'chat.json': 'chat' } as const;
  const manifest: EvidenceManifest = {
    format: 'rvw-evidence/1',
    caseNumber: '341522-2026-000001',
    regions: ['341522', '320509'],
    exportedAt: '2026-12-04T20:00:00.000Z',
    exporter: 'admin-341522',
    members: [...members].map(([p, b]) => describeMember(p, roles[p as keyof typeof roles], b)),
  };
  return { manifest, members };
}

describe('evidence manifest members', () => {
  it('an untouched bundle has no failures', () => {
    const { manifest, members } = bundle();
    expect(checkMembers(manifest, members)).toEqual([]);
  });

  it('a flipped byte in each member is reported with its path', () => {
    for (const target of bundle().members.keys()) {
      const { manifest, members } = bundle();
      const bytes = Uint8Array.from(members.get(target)!);
      bytes[0] = bytes[0]! ^ 0x01;
      members.set(target, bytes);
      expect(checkMembers(manifest, members)).toEqual([
        { code: 'MEMBER_HASH_MISMATCH', message: `文件内容已被改动（哈希不符）：${target}`, path: target },
      ]);
    }
  });

  it('a removed and an added member are each reported', () => {
    const { manifest, members } = bundle();
    members.delete('chat.json');
    members.set('extra.bin', new Uint8Array([1]));
    expect(checkMembers(manifest, members).map((f) => [f.code, f.path])).toEqual([
      ['MEMBER_MISSING', 'chat.json'],
      ['MEMBER_EXTRA', 'extra.bin'],
    ]);
  });
});

describe('manifest signature', () => {
  let dir: string;
  let signers: SignerRegistry;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rvw-evidence-'));
    const pkiDir = path.join(dir, 'pki');
    await ensureDevPki({ pkiDir, regions: REGIONS });
    signers = await SignerRegistry.load({ pkiDir });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('signs the manifest bytes with the region key as a DER CMS SignedData', async () => {
    const region = signers.regionCodes[0]!;
    const signer = signers.get(region)!;
    const cms = await signManifest(encodeManifest(bundle().manifest), signer);
    expect(cms[0]).toBe(0x30);
    // id-signedData OID 1.2.840.113549.1.7.2 near the start of the ContentInfo.
    expect(Buffer.from(cms.subarray(0, 32)).includes(Buffer.from([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02]))).toBe(true);
  });

  it('verifies against the trusted CAs, and an edited manifest fails with a Chinese message', async () => {
    const signer = signers.get(signers.regionCodes[0]!)!;
    const bytes = encodeManifest(bundle().manifest);
    const cms = await signManifest(bytes, signer);
    const ok = await verifyManifestSignature(bytes, cms, signers.trustAnchors);
    expect(ok).toEqual({ ok: true, signer: signer.subject });
    const edited = Uint8Array.from(bytes);
    edited[20] = edited[20]! ^ 0x01;
    expect(await verifyManifestSignature(edited, cms, signers.trustAnchors)).toEqual({ ok: false, code: 'MANIFEST_DIGEST_MISMATCH', message: '清单已被改动（与签名不符）' });
    expect(await verifyManifestSignature(bytes, cms, [])).toMatchObject({ ok: false, code: 'CERTIFICATE_UNTRUSTED' });
  });
});
