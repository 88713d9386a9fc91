import path from 'node:path';
import { fileExists, issueDevCertificate } from './issueDevCertificate.js';

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
  if ((await fileExists(certFile)) && (await fileExists(keyFile))) return { certFile, keyFile };

  const caCertFile = path.join(pkiDir, 'ca.pem');
  const caKeyFile = path.join(pkiDir, 'ca-key.pem');
  await issueDevCertificate({
    pkiDir,
    dir,
    subject: '/C=CN/O=跨域通办远程虚拟窗口（开发环境）/CN=RVW Development TSA',
    // RFC 3161: a TSA certificate carries exactly this critical extended key usage.
    extensions: ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=critical,timeStamping'],
    caCertFile,
    caKeyFile,
  });
  return { certFile, keyFile };
}

