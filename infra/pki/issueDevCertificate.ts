import { randomBytes } from 'node:crypto';
import { access, chmod, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runOpenssl } from './runOpenssl.js';

/** What {@link issueDevCertificate} makes. */
export interface DevCertificateRequest {
  pkiDir: string;
  /** Directory that receives key.pem and cert.pem. */
  dir: string;
  /** openssl -subj syntax, already escaped. */
  subject: string;
  /** X.509v3 extension lines for the leaf (basicConstraints, keyUsage…). */
  extensions: string[];
  caCertFile: string;
  caKeyFile: string;
}

/**
 * Issues a P-256 key and a certificate signed by the dev CA into `dir/key.pem` and `dir/cert.pem`.
 * Built in a scratch directory and renamed into place (certificate last), so an interrupted run
 * never leaves a key without its certificate.
 */
export async function issueDevCertificate(req: DevCertificateRequest): Promise<{ keyFile: string; certFile: string }> {
  await mkdir(req.dir, { recursive: true, mode: 0o700 });
  const work = await mkdtemp(path.join(req.pkiDir, '.tmp-leaf-'));
  const keyFile = path.join(req.dir, 'key.pem');
  const certFile = path.join(req.dir, 'cert.pem');
  try {
    await runOpenssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'key.pem'], { cwd: work });
    await runOpenssl(['req', '-new', '-utf8', '-key', 'key.pem', '-subj', req.subject, '-out', 'req.csr'], { cwd: work });
    await writeFile(path.join(work, 'ext.cnf'), [...req.extensions, 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid', ''].join('\n'));
    await runOpenssl([
      'x509', '-req', '-in', 'req.csr', '-CA', req.caCertFile, '-CAkey', req.caKeyFile, '-out', 'cert.pem', '-days', '1825', '-sha256',
      // A positive 128-bit serial (the top bit cleared keeps DER from reading it as negative).
      '-set_serial', `0x${randomBytes(16).toString('hex').replace(/^[89a-f]/, '1')}`,
      '-extfile', 'ext.cnf',
    ], { cwd: work });
    await chmod(path.join(work, 'key.pem'), 0o600);
    await rename(path.join(work, 'key.pem'), keyFile);
    await rename(path.join(work, 'cert.pem'), certFile);
    return { keyFile, certFile };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** True when the file exists. */
export async function fileExists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
