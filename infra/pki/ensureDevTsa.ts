import { randomBytes } from 'node:crypto';
import { access, chmod, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runOpenssl } from './runOpenssl';

/**
 * Creates, idempotently, a development time-stamping authority certificate under
 * `<pkiDir>/tsa/` (key.pem, cert.pem), issued by the dev CA that {@link ensureDevPki} made.
 * RFC 3161 requires extendedKeyUsage = timeStamping, marked critical; `openssl ts -reply`
 * refuses to sign with anything else.
 */
export async function ensureDevTsa(options: { pkiDir: string }): Promise<{ certFile: string; keyFile: string }> {
  const pkiDir = path.resolve(options.pkiDir);
  const dir = path.join(pkiDir, 'tsa');
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  if ((await exists(certFile)) && (await exists(keyFile))) return { certFile, keyFile };

  const caCertFile = path.join(pkiDir, 'ca.pem');
  const caKeyFile = path.join(pkiDir, 'ca-key.pem');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const work = await mkdtemp(path.join(pkiDir, '.tmp-tsa-'));
  try {
    await runOpenssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'key.pem'], { cwd: work });
    await runOpenssl(['req', '-new', '-utf8', '-key', 'key.pem', '-subj', '/C=CN/O=跨域通办远程虚拟窗口（开发环境）/CN=RVW Development TSA', '-out', 'req.csr'], { cwd: work });
    await writeFile(path.join(work, 'ext.cnf'), [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=critical,timeStamping',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      '',
    ].join('\n'));
    await runOpenssl([
      'x509', '-req', '-in', 'req.csr', '-CA', caCertFile, '-CAkey', caKeyFile, '-out', 'cert.pem', '-days', '1825', '-sha256',
      '-set_serial', `0x${randomBytes(16).toString('hex').replace(/^[89a-f]/, '1')}`,
      '-extfile', 'ext.cnf',
    ], { cwd: work });
    await chmod(path.join(work, 'key.pem'), 0o600);
    await rename(path.join(work, 'key.pem'), keyFile);
    await rename(path.join(work, 'cert.pem'), certFile);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { certFile, keyFile };
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
