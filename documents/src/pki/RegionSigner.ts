import { execFile } from 'node:child_process';
import { createPrivateKey, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Signer, SignRequest } from './Signer.js';
import { decodePem } from './decodePem.js';

/**
 * A region's software signing key (ECDSA P-256) and certificate chain loaded from PEM or
 * PKCS#12. Checks at load time that the key matches the certificate and that the certificate is
 * currently valid, so a misconfigured region fails at start-up rather than at the first issue.
 */
export class RegionSigner implements Signer {
  readonly #key: KeyObject;

  private constructor(
    /** Administrative code of the region this key signs for. */
    readonly regionCode: string,
    key: KeyObject,
    /** DER certificates, signing certificate first. */
    readonly certificateChain: readonly Uint8Array[],
    /** Subject CN of the signing certificate. */
    readonly subject: string,
    /** End of the signing certificate's validity. */
    readonly notAfter: Date,
  ) {
    this.#key = key;
  }

  /**
   * From PEM texts: the private key, the signing certificate (optionally followed by
   * intermediates) and optional issuer certificates appended to the chain (the root CA).
   */
  static fromPem(options: { regionCode: string; keyPem: string | Uint8Array; certPem: string; issuersPem?: string; passphrase?: string }): RegionSigner {
    const key = createPrivateKey({ key: Buffer.from(options.keyPem), format: 'pem', ...(options.passphrase ? { passphrase: options.passphrase } : {}) });
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error(`region ${options.regionCode}: signing key must be ECDSA P-256`);
    }
    const chain = [...decodePem(options.certPem), ...decodePem(options.issuersPem ?? '')];
    const leafDer = chain[0];
    if (!leafDer) throw new Error(`region ${options.regionCode}: no certificate found`);
    const leaf = new X509Certificate(leafDer);
    if (!leaf.checkPrivateKey(key)) throw new Error(`region ${options.regionCode}: private key does not match the certificate`);
    const notAfter = new Date(leaf.validTo);
    if (notAfter.getTime() < Date.now()) throw new Error(`region ${options.regionCode}: certificate expired on ${notAfter.toISOString()}`);
    const ordered = buildChain(leaf, chain.slice(1).map((der) => new X509Certificate(der)));
    return new RegionSigner(options.regionCode, key, ordered, commonName(leaf.subject), notAfter);
  }

  /** From `key.pem` and `cert.pem` files, plus issuer certificates (e.g. `ca.pem`). */
  static async fromFiles(options: { regionCode: string; keyFile: string; certFile: string; issuersFile?: string; passphrase?: string }): Promise<RegionSigner> {
    const [keyPem, certPem, issuersPem] = await Promise.all([
      readFile(options.keyFile),
      readFile(options.certFile, 'utf8'),
      options.issuersFile ? readFile(options.issuersFile, 'utf8') : Promise.resolve(''),
    ]);
    return RegionSigner.fromPem({ regionCode: options.regionCode, keyPem, certPem, issuersPem, ...(options.passphrase ? { passphrase: options.passphrase } : {}) });
  }

  /**
   * From a PKCS#12 file (what CAs commonly deliver). Node cannot read PKCS#12, so the `openssl`
   * CLI converts it once at load time; the passphrase travels through an environment variable,
   * never the command line (visible in `ps`).
   */
  static async fromPkcs12(options: { regionCode: string; file: string; passphrase: string; issuersPem?: string }): Promise<RegionSigner> {
    const run = (args: string[]) =>
      new Promise<string>((resolve, reject) => {
        execFile('openssl', ['pkcs12', '-in', options.file, '-passin', 'env:RVW_P12_PASS', ...args], { env: { ...process.env, RVW_P12_PASS: options.passphrase }, encoding: 'utf8' }, (error, stdout, stderr) => {
          if (error) reject(new Error(`region ${options.regionCode}: cannot read PKCS#12 ${options.file}: ${stderr.trim() || error.message}`));
          else resolve(stdout);
        });
      });
    const keyPem = await run(['-nocerts', '-nodes']);
    const leafPem = await run(['-clcerts', '-nokeys']);
    const caPem = await run(['-cacerts', '-nokeys']);
    return RegionSigner.fromPem({ regionCode: options.regionCode, keyPem, certPem: leafPem + caPem, issuersPem: options.issuersPem ?? '' });
  }

  /** Signs the DER signed attributes with ECDSA-SHA256; the result is a DER ECDSA-Sig-Value. */
  async sign(request: SignRequest): Promise<Uint8Array> {
    return new Uint8Array(sign('sha256', request.data, this.#key));
  }
}

/** The CN of a Node X509Certificate subject (`C=CN\nO=…\nCN=…`), falling back to the whole subject. */
function commonName(subject: string): string {
  const cn = subject.split('\n').find((line) => line.startsWith('CN='));
  return cn ? cn.slice(3) : subject.replace(/\n/g, ', ');
}

/**
 * Orders the signing certificate's issuers from the candidates (leaf, intermediate…, root) and
 * drops unrelated ones: ca.pem may list several CAs, and only the real path belongs in the CMS.
 */
function buildChain(leaf: X509Certificate, candidates: X509Certificate[]): Uint8Array[] {
  const chain = [leaf];
  for (;;) {
    const current = chain.at(-1) as X509Certificate;
    if (current.checkIssued(current)) break;
    const issuer = candidates.find((c) => !chain.some((x) => x.fingerprint256 === c.fingerprint256) && current.checkIssued(c) && current.verify(c.publicKey));
    if (!issuer) break;
    chain.push(issuer);
  }
  return chain.map((c) => new Uint8Array(c.raw));
}
