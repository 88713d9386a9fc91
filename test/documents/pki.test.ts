import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevPki } from '@rvw/infra/pki/ensureDevPki';
import { RegionSigner, SignerRegistry } from '@rvw/documents';
import { REGIONS } from './support/fixtures';

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rvw-pki-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('dev PKI', () => {
  it('creates an ECDSA P-256 CA and region certificates, idempotently', async () => {
    const pkiDir = path.join(dir, 'pki');
    const first = await ensureDevPki({ pkiDir, regions: REGIONS });
    expect(first.regions.every((r) => r.created)).toBe(true);
    const caBefore = await readFile(first.caCertFile, 'utf8');
    const second = await ensureDevPki({ pkiDir, regions: REGIONS });
    expect(second.regions.every((r) => !r.created)).toBe(true);
    expect(await readFile(second.caCertFile, 'utf8')).toBe(caBefore);

    const { stdout: ca } = await run('openssl', ['x509', '-in', first.caCertFile, '-noout', '-text']);
    expect(ca).toMatch(/CA:TRUE/);
    expect(ca).toContain('prime256v1');
    const regionCert = first.regions[0]?.certFile as string;
    const { stdout: leaf } = await run('openssl', ['x509', '-in', regionCert, '-noout', '-text', '-nameopt', 'utf8']);
    expect(leaf).toContain('CN=霍邱县政务服务管理局 (341522)');
    expect(leaf).toContain('C=CN');
    expect(leaf).toMatch(/Digital Signature, Non Repudiation/);
    expect(leaf).toMatch(/CA:FALSE/);
    expect((await stat(first.regions[0]?.keyFile as string)).mode & 0o077).toBe(0);
  });

  it('loads signers with chains to the CA and refuses a key that does not match its certificate', async () => {
    const pkiDir = path.join(dir, 'pki');
    const registry = await SignerRegistry.load({ pkiDir });
    expect(registry.regionCodes.sort()).toEqual(['320583', '341522']);
    const signer = registry.require('341522');
    expect(signer.subject).toBe('霍邱县政务服务管理局 (341522)');
    expect(signer.certificateChain).toHaveLength(2);
    expect(registry.trustAnchors).toHaveLength(1);
    expect(() => registry.require('110101')).toThrow(expect.objectContaining({ code: 'SIGNER_NOT_FOUND' }));

    await expect(RegionSigner.fromFiles({
      regionCode: '341522',
      keyFile: path.join(pkiDir, 'regions', '320583', 'key.pem'),
      certFile: path.join(pkiDir, 'regions', '341522', 'cert.pem'),
    })).rejects.toThrow(/does not match/);
  });

  it('loads a region from PKCS#12', async () => {
    const pkiDir = path.join(dir, 'pki');
    const region = path.join(pkiDir, 'regions', '341522');
    const p12 = path.join(dir, 'signer.p12');
    await run('openssl', ['pkcs12', '-export', '-inkey', path.join(region, 'key.pem'), '-in', path.join(region, 'cert.pem'), '-certfile', path.join(pkiDir, 'ca.pem'), '-out', p12, '-passout', 'pass:秘密-secret']);
    const signer = await RegionSigner.fromPkcs12({ regionCode: '341522', file: p12, passphrase: '秘密-secret' });
    expect(signer.subject).toBe('霍邱县政务服务管理局 (341522)');
    expect(signer.certificateChain).toHaveLength(2);
    await expect(RegionSigner.fromPkcs12({ regionCode: '341522', file: p12, passphrase: 'wrong' })).rejects.toThrow(/PKCS#12/);
  });
});
