import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { DocumentRecord } from '../store/DocumentRecord.js';
import { OID } from '../signing/oids.js';
import { VERDICT_MESSAGES, type VerifyReason, type VerifyVerdict } from './VerifyVerdict.js';

const BYTE_RANGE = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g;

/** What verification needs to know. */
export interface VerifyPdfOptions {
  /** DER certificates of the CAs whose region certificates are trusted. */
  trustAnchors: readonly Uint8Array[];
  /** The registry of issued documents; without it a valid signature yields NOT_REGISTERED. */
  store?: { findBySha256(sha256: string): Promise<DocumentRecord | undefined> };
  /** Instant certificates must be valid at; now by default. */
  now?: Date;
}

const anchorCache = new WeakMap<readonly Uint8Array[], pkijs.Certificate[]>();

/**
 * Verifies a PDF as this service issues it: exactly one PAdES signature whose /ByteRange covers
 * the whole file except the /Contents hex string, a CMS whose message digest matches those bytes,
 * an ECDSA signature by a certificate chaining to our CA, a matching ESS signing-certificate-v2,
 * a valid timestamp if one is attached — and finally the file's SHA-256 found in the registry,
 * which proves it is byte-for-byte the document issued.
 */
export async function verifyPdf(input: Uint8Array, options: VerifyPdfOptions): Promise<VerifyVerdict> {
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const verdict = (reason: VerifyReason, extra: Partial<VerifyVerdict> = {}): VerifyVerdict => ({
    valid: reason === 'OK',
    reason,
    message: VERDICT_MESSAGES[reason],
    sha256,
    ...extra,
  });

  if (bytes.subarray(0, 5).toString('latin1') !== '%PDF-') return verdict('NOT_PDF');
  const text = bytes.toString('latin1');
  const ranges = [...text.matchAll(BYTE_RANGE)];
  if (ranges.length === 0) return verdict('NO_SIGNATURE');
  if (ranges.length > 1) return verdict('MULTIPLE_SIGNATURES');
  const [a, b, c, d] = (ranges[0] as RegExpMatchArray).slice(1, 5).map(Number) as [number, number, number, number];
  if (!(b > a && c > b && c + d <= bytes.length && bytes[b] === 0x3c && bytes[c - 1] === 0x3e)) return verdict('MALFORMED_SIGNATURE');

  let signedData: pkijs.SignedData;
  let signerInfo: pkijs.SignerInfo;
  try {
    const der = Buffer.from(text.slice(b + 1, c - 1), 'hex');
    const parsed = asn1js.fromBER(der);
    if (parsed.offset === -1) return verdict('MALFORMED_SIGNATURE');
    const contentInfo = new pkijs.ContentInfo({ schema: parsed.result });
    if (contentInfo.contentType !== OID.signedData) return verdict('MALFORMED_SIGNATURE');
    signedData = new pkijs.SignedData({ schema: contentInfo.content });
    if (signedData.signerInfos.length !== 1) return verdict('MULTIPLE_SIGNATURES');
    signerInfo = signedData.signerInfos[0] as pkijs.SignerInfo;
  } catch {
    return verdict('MALFORMED_SIGNATURE');
  }

  const signed = Buffer.concat([bytes.subarray(a, a + b), bytes.subarray(c, c + d)]);
  const digest = createHash('sha256').update(signed).digest();
  const attribute = (oid: string) => signerInfo.signedAttrs?.attributes.find((x) => x.type === oid)?.values[0];
  const messageDigest = attribute(OID.messageDigest);
  if (!(messageDigest instanceof asn1js.OctetString)) return verdict('MALFORMED_SIGNATURE');
  if (!digest.equals(Buffer.from(messageDigest.valueBlock.valueHexView))) return verdict('DIGEST_MISMATCH');

  const anchors = parseAnchors(options.trustAnchors);
  const now = options.now ?? new Date();
  let signerCertificate: pkijs.Certificate | null | undefined;
  try {
    const result = await signedData.verify({ signer: 0, data: toArrayBuffer(signed), trustedCerts: anchors, checkChain: true, checkDate: now, extendedMode: true });
    signerCertificate = result.signerCertificate;
    if (!result.signatureVerified) return verdict('SIGNATURE_INVALID', { signer: commonName(signerCertificate) });
  } catch (e) {
    const failure = e as pkijs.SignedDataVerifyError;
    if (failure.code === 5) return verdict('CERTIFICATE_UNTRUSTED', { signer: commonName(failure.signerCertificate) });
    return verdict('SIGNATURE_INVALID', { signer: commonName(failure.signerCertificate) });
  }
  const signer = commonName(signerCertificate);
  if (!signerCertificate || !matchesSigningCertificateV2(attribute(OID.signingCertificateV2), signerCertificate)) return verdict('SIGNATURE_INVALID', { signer });

  let timestamp: VerifyVerdict['timestamp'];
  const token = signerInfo.unsignedAttrs?.attributes.find((x) => x.type === OID.signatureTimeStampToken)?.values[0];
  if (token) {
    timestamp = await verifyTimestamp(token, signerInfo.signature.valueBlock.valueHexView, anchors, now);
    if (!timestamp) return verdict('TIMESTAMP_INVALID', { signer });
  }
  const extra = { signer, ...(timestamp ? { timestamp } : {}) };

  // Total document signed: the only unsigned bytes are the /Contents hex string itself.
  if (a !== 0 || c + d !== bytes.length) return verdict('NOT_TOTAL_DOCUMENT', extra);

  const record = await options.store?.findBySha256(sha256);
  if (!record) return verdict('NOT_REGISTERED', extra);
  return verdict('OK', { ...extra, number: record.number, issuer: record.issuerName, issuedAt: record.issuedAt, title: record.title, type: record.type, ...(record.sample ? { sample: true } : {}) });
}

function parseAnchors(anchors: readonly Uint8Array[]): pkijs.Certificate[] {
  let parsed = anchorCache.get(anchors);
  if (!parsed) {
    parsed = anchors.map((der) => pkijs.Certificate.fromBER(toArrayBuffer(der)));
    anchorCache.set(anchors, parsed);
  }
  return parsed;
}

/** ESS signing-certificate-v2 must name the certificate that actually verified (RFC 5035 §3). */
function matchesSigningCertificateV2(value: unknown, certificate: pkijs.Certificate): boolean {
  if (!(value instanceof asn1js.Sequence)) return false;
  const certs = value.valueBlock.value[0];
  const first = certs instanceof asn1js.Sequence ? certs.valueBlock.value[0] : undefined;
  if (!(first instanceof asn1js.Sequence)) return false;
  const fields = first.valueBlock.value;
  // hashAlgorithm is optional (default SHA-256); we only accept SHA-256.
  const hashField = fields[0] instanceof asn1js.OctetString ? fields[0] : fields[1];
  if (fields[0] instanceof asn1js.Sequence && (fields[0].valueBlock.value[0] as asn1js.ObjectIdentifier | undefined)?.valueBlock.toString() !== OID.sha256) return false;
  if (!(hashField instanceof asn1js.OctetString)) return false;
  const der = new Uint8Array(certificate.toSchema().toBER());
  const hash = createHash('sha256').update(der).digest();
  return hash.equals(Buffer.from(hashField.valueBlock.valueHexView));
}

/** Checks an RFC 3161 signature timestamp: token signature, imprint over our signature value, chain (reported, not required). */
async function verifyTimestamp(token: unknown, signatureValue: Uint8Array, anchors: pkijs.Certificate[], now: Date): Promise<VerifyVerdict['timestamp']> {
  try {
    const contentInfo = new pkijs.ContentInfo({ schema: token });
    const tokenData = new pkijs.SignedData({ schema: contentInfo.content });
    const eContent = tokenData.encapContentInfo.eContent;
    if (tokenData.encapContentInfo.eContentType !== OID.tstInfo || !eContent) return undefined;
    const info = pkijs.TSTInfo.fromBER(eContent.getValue());
    // pkijs checks the TSTInfo imprint against `data` before checking the token's signature.
    const result = await tokenData.verify({ signer: 0, data: toArrayBuffer(signatureValue), checkChain: false, extendedMode: true });
    if (!result.signatureVerified) return undefined;
    let trusted = false;
    if (result.signerCertificate) {
      const engine = new pkijs.CertificateChainValidationEngine({
        trustedCerts: anchors,
        certs: [...(tokenData.certificates ?? []).filter((x): x is pkijs.Certificate => x instanceof pkijs.Certificate)],
        checkDate: info.genTime < now ? info.genTime : now,
      });
      trusted = (await engine.verify()).result;
    }
    return { time: info.genTime.toISOString(), tsa: commonName(result.signerCertificate), trusted };
  } catch {
    return undefined;
  }
}

function commonName(certificate: pkijs.Certificate | null | undefined): string {
  const cn = certificate?.subject.typesAndValues.find((t) => t.type === '2.5.4.3');
  return cn ? String(cn.value.valueBlock.value) : '';
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
