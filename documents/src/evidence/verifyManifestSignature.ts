import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { OID } from '../signing/oids.js';

/** The verdict on `manifest.json.p7s`: valid with the signer's CN, or a stable code and a Chinese message. */
export type ManifestSignatureVerdict =
  | { ok: true; signer: string }
  | { ok: false; code: 'SIGNATURE_MALFORMED' | 'MANIFEST_DIGEST_MISMATCH' | 'SIGNATURE_INVALID' | 'CERTIFICATE_UNTRUSTED'; message: string };

const MESSAGES = {
  SIGNATURE_MALFORMED: '清单签名文件无法解析',
  MANIFEST_DIGEST_MISMATCH: '清单已被改动（与签名不符）',
  SIGNATURE_INVALID: '清单签名无效',
  CERTIFICATE_UNTRUSTED: '清单签名证书不受信任（不是已知地区的证书）',
} as const;

/**
 * Verifies the detached CMS over the manifest bytes against the trusted region CAs (all regions',
 * so either region's administrator can verify the other's bundle). Offline: no network, no store.
 */
export async function verifyManifestSignature(manifestBytes: Uint8Array, p7s: Uint8Array, trustAnchors: readonly Uint8Array[], now = new Date()): Promise<ManifestSignatureVerdict> {
  const fail = (code: keyof typeof MESSAGES): ManifestSignatureVerdict => ({ ok: false, code, message: MESSAGES[code] });
  let signedData: pkijs.SignedData;
  let messageDigest: unknown;
  try {
    const parsed = asn1js.fromBER(toArrayBuffer(p7s));
    if (parsed.offset === -1) return fail('SIGNATURE_MALFORMED');
    const contentInfo = new pkijs.ContentInfo({ schema: parsed.result });
    if (contentInfo.contentType !== OID.signedData) return fail('SIGNATURE_MALFORMED');
    signedData = new pkijs.SignedData({ schema: contentInfo.content });
    if (signedData.signerInfos.length !== 1) return fail('SIGNATURE_MALFORMED');
    messageDigest = signedData.signerInfos[0]?.signedAttrs?.attributes.find((x) => x.type === OID.messageDigest)?.values[0];
  } catch {
    return fail('SIGNATURE_MALFORMED');
  }
  if (!(messageDigest instanceof asn1js.OctetString)) return fail('SIGNATURE_MALFORMED');
  const digest = createHash('sha256').update(manifestBytes).digest();
  if (!digest.equals(Buffer.from(messageDigest.valueBlock.valueHexView))) return fail('MANIFEST_DIGEST_MISMATCH');
  const anchors = trustAnchors.map((der) => pkijs.Certificate.fromBER(toArrayBuffer(der)));
  try {
    const result = await signedData.verify({ signer: 0, data: toArrayBuffer(manifestBytes), trustedCerts: anchors, checkChain: true, checkDate: now, extendedMode: true });
    if (!result.signatureVerified) return fail('SIGNATURE_INVALID');
    const cn = result.signerCertificate?.subject.typesAndValues.find((t) => t.type === '2.5.4.3');
    return { ok: true, signer: cn ? String(cn.value.valueBlock.value) : '' };
  } catch (e) {
    return fail((e as pkijs.SignedDataVerifyError).code === 5 ? 'CERTIFICATE_UNTRUSTED' : 'SIGNATURE_INVALID');
  }
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
