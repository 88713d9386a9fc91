import { readdir, readFile, access } from 'node:fs/promises';
import path from 'node:path';
import { DocumentError } from '../errors/DocumentError.js';
import { decodePem } from './decodePem.js';
import { RegionSigner } from './RegionSigner.js';
import type { Signer } from './Signer.js';

/**
 * The signing keys of the regions this node issues for, and the CA certificates documents are
 * verified against. Built from a PKI directory, or directly from any {@link Signer}s (an HSM).
 */
export class SignerRegistry {
  readonly #signers: ReadonlyMap<string, Signer>;

  constructor(
    signers: ReadonlyMap<string, Signer> | Iterable<[string, Signer]>,
    /** DER certificates of the trusted CAs (verification anchors). */
    readonly trustAnchors: readonly Uint8Array[],
  ) {
    this.#signers = new Map(signers);
  }

  /**
   * Loads `<pkiDir>/ca.pem` (one or more trusted CA certificates) and, for every
   * `<pkiDir>/regions/<code>/`, either `key.pem` + `cert.pem` or `signer.p12` (its passphrase from
   * `pkcs12Passphrase(code)`). Throws on the first unusable region so a bad deployment fails at start.
   */
  static async load(options: { pkiDir: string; pkcs12Passphrase?: (regionCode: string) => string | undefined }): Promise<SignerRegistry> {
    const caFile = path.join(options.pkiDir, 'ca.pem');
    const caPem = await readFile(caFile, 'utf8');
    const anchors = decodePem(caPem);
    if (anchors.length === 0) throw new Error(`${caFile} holds no certificate`);
    const regionsDir = path.join(options.pkiDir, 'regions');
    const entries = await readdir(regionsDir, { withFileTypes: true }).catch(() => []);
    const signers = new Map<string, Signer>();
    for (const entry of entries) {
      if (!entry.isDirectory() || !/^\d{6}$/.test(entry.name)) continue;
      const dir = path.join(regionsDir, entry.name);
      const p12 = path.join(dir, 'signer.p12');
      if (await exists(p12)) {
        const passphrase = options.pkcs12Passphrase?.(entry.name);
        if (passphrase === undefined) throw new Error(`region ${entry.name}: ${p12} needs a passphrase`);
        signers.set(entry.name, await RegionSigner.fromPkcs12({ regionCode: entry.name, file: p12, passphrase, issuersPem: caPem }));
      } else {
        signers.set(entry.name, await RegionSigner.fromFiles({ regionCode: entry.name, keyFile: path.join(dir, 'key.pem'), certFile: path.join(dir, 'cert.pem'), issuersFile: caFile }));
      }
    }
    return new SignerRegistry(signers, anchors);
  }

  /** Region codes that have a signer. */
  get regionCodes(): string[] {
    return [...this.#signers.keys()];
  }

  /** The signer of `regionCode`, or undefined. */
  get(regionCode: string): Signer | undefined {
    return this.#signers.get(regionCode);
  }

  /** The signer of `regionCode`; SIGNER_NOT_FOUND when this node holds no key for it. */
  require(regionCode: string): Signer {
    const signer = this.#signers.get(regionCode);
    if (!signer) throw new DocumentError('SIGNER_NOT_FOUND', `本节点没有地区 ${regionCode} 的签名证书，无法出具文书 (no signing key for region)`, { regionCode });
    return signer;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
