import { chmod, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileExists, issueDevCertificate } from './issueDevCertificate.js';
import { runOpenssl } from './runOpenssl.js';

/** A region that needs a signing certificate: its 6-digit administrative code and the authority named in the certificate. */
export interface DevRegion {
  code: string;
  name: string;
}

/** What {@link ensureDevPki} produced or found. */
export interface DevPki {
  pkiDir: string;
  caCertFile: string;
  regions: Array<{ code: string; certFile: string; keyFile: string; created: boolean }>;
}

const CA_SUBJECT = '/C=CN/O=跨域通办远程虚拟窗口（开发环境）/CN=RVW Development CA';

/**
 * Creates, idempotently, a development CA (ECDSA P-256, self-signed, CA:TRUE) and one signing
 * certificate per region under `pkiDir`:
 *   ca.pem, ca-key.pem (dev only — a production CA key never sits next to the service),
 *   regions/<code>/key.pem, regions/<code>/cert.pem.
 * Existing material is kept when it still chains to the CA, so re-running never invalidates
 * documents already issued.
 */
export async function ensureDevPki(options: { pkiDir: string; regions: readonly DevRegion[] }): Promise<DevPki> {
  const pkiDir = path.resolve(options.pkiDir);
  await mkdir(path.join(pkiDir, 'regions'), { recursive: true, mode: 0o700 });
  const caCertFile = path.join(pkiDir, 'ca.pem');
  const caKeyFile = path.join(pkiDir, 'ca-key.pem');
  if (!(await fileExists(caCertFile))) await createCa(pkiDir, caCertFile, caKeyFile);

  const regions: DevPki['regions'] = [];
  for (const region of options.regions) {
    if (!/^\d{6}$/.test(region.code)) throw new Error(`region code must be 6 digits, got ${JSON.stringify(region.code)}`);
    const dir = path.join(pkiDir, 'regions', region.code);
    const certFile = path.join(dir, 'cert.pem');
    const keyFile = path.join(dir, 'key.pem');
    let created = false;
    if (!(await fileExists(certFile)) || !(await fileExists(keyFile)) || !(await chainsTo(certFile, caCertFile))) {
      if (!(await fileExists(caKeyFile))) {
        throw new Error(`${caKeyFile} is missing: cannot issue a certificate for region ${region.code} (production certificates come from the real CA)`);
      }
      await createRegion(pkiDir, dir, region, caCertFile, caKeyFile);
      created = true;
    }
    regions.push({ code: region.code, certFile, keyFile, created });
  }
  return { pkiDir, caCertFile, regions };
}

async function createCa(pkiDir: string, caCertFile: string, caKeyFile: string): Promise<void> {
  const work = await mkdtemp(path.join(pkiDir, '.tmp-ca-'));
  try {
    await runOpenssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'key.pem'], { cwd: work });
    await runOpenssl([
      'req', '-new', '-x509', '-utf8', '-key', 'key.pem', '-out', 'cert.pem', '-days', '3650', '-sha256',
      '-subj', CA_SUBJECT,
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      '-addext', 'subjectKeyIdentifier=hash',
    ], { cwd: work });
    await chmod(path.join(work, 'key.pem'), 0o600);
    // The certificate is renamed last: its presence marks a complete CA for the next run.
    await rename(path.join(work, 'key.pem'), caKeyFile);
    await rename(path.join(work, 'cert.pem'), caCertFile);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function createRegion(pkiDir: string, dir: string, region: DevRegion, caCertFile: string, caKeyFile: string): Promise<void> {
  await issueDevCertificate({
    pkiDir,
    dir,
    subject: `/C=CN/O=${escapeSubject(region.name)}/CN=${escapeSubject(`${region.name} (${region.code})`)}`,
    // No extendedKeyUsage: NSS (pdfsig, Acrobat-like validators) then accepts the certificate for
    // document signing; keyUsage alone states what the key is for.
    extensions: ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,nonRepudiation'],
    caCertFile,
    caKeyFile,
  });
}

/** `/` and `=` are separators in openssl's -subj syntax. */
function escapeSubject(value: string): string {
  return value.replace(/([/=\\])/g, '\\$1');
}

async function chainsTo(certFile: string, caCertFile: string): Promise<boolean> {
  try {
    await runOpenssl(['verify', '-CAfile', caCertFile, certFile]);
    return true;
  } catch {
    return false;
  }
}

