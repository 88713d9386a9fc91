import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { Signer } from '../pki/Signer.js';
import { OID } from './oids.js';
import { PreEncodedCertificate } from './PreEncodedCertificate.js';
import type { Timestamper } from './Timestamper.js';

interface ParsedChain {
  certificates: pkijs.Certificate[];
  leaf: pkijs.Certificate;
  leafHash: Uint8Array;
}

// Certificates are parsed once per signer, not once per document.
const parsedChains = new WeakMap<Signer, ParsedChain>();

/**
 * Builds the detached CMS SignedData (DER ContentInfo) of a PAdES-B-B signature over
 * `contentDigest` (SHA-256 of the PDF's signed byte ranges): ECDSA-SHA256, signed attributes
 * content-type, message-digest and ESS signing-certificate-v2 — and deliberately no signing-time,
 * which PAdES (ETSI EN 319 142-1 §5.4) forbids; the time lives in the PDF /M entry. With a
 * timestamper, a signature time-stamp token is added as an unsigned attribute (PAdES-B-T).
 */
export async function buildCadesSignature(options: { contentDigest: Uint8Array; signer: Signer; timestamper?: Timestamper }): Promise<Uint8Array> {
  const { signer } = options;
  const chain = parseChain(signer);

  const attributes = [
    new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: OID.data })] }),
    new pkijs.Attribute({ type: OID.messageDigest, values: [new asn1js.OctetString({ valueHex: options.contentDigest })] }),
    new pkijs.Attribute({ type: OID.signingCertificateV2, values: [signingCertificateV2(chain)] }),
  ];
  const signedAttrs = new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes: derSetOrder(attributes) });
  // What is signed is the attributes re-tagged as a universal SET (RFC 5652 §5.4).
  const toBeSigned = new Uint8Array(signedAttrs.toSchema().toBER());
  toBeSigned[0] = 0x31;
  const digest = new Uint8Array(createHash('sha256').update(toBeSigned).digest());
  const signature = await signer.sign({ data: toBeSigned, digest });

  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: chain.leaf.issuer, serialNumber: chain.leaf.serialNumber }),
    digestAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 }),
    signedAttrs,
    signatureAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.ecdsaWithSha256 }),
    signature: new asn1js.OctetString({ valueHex: signature }),
  });
  if (options.timestamper) {
    const imprint = new Uint8Array(createHash('sha256').update(signature).digest());
    const token = await options.timestamper.timestamp(imprint);
    const parsed = asn1js.fromBER(token);
    if (parsed.offset === -1) throw new Error('timestamp token is not valid DER');
    signerInfo.unsignedAttrs = new pkijs.SignedAndUnsignedAttributes({
      type: 1,
      attributes: [new pkijs.Attribute({ type: OID.signatureTimeStampToken, values: [parsed.result] })],
    });
  }

  const signedData = new pkijs.SignedData({
    version: 1,
    digestAlgorithms: [new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 })],
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: OID.data }),
    certificates: chain.certificates,
    signerInfos: [signerInfo],
  });
  const contentInfo = new pkijs.ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) });
  return new Uint8Array(contentInfo.toSchema().toBER());
}

function parseChain(signer: Signer): ParsedChain {
  let parsed = parsedChains.get(signer);
  if (!parsed) {
    const certificates = signer.certificateChain.map((der) => new PreEncodedCertificate(der));
    const leaf = certificates[0];
    const leafDer = signer.certificateChain[0];
    if (!leaf || !leafDer) throw new Error('signer has no certificate');
    parsed = { certificates, leaf, leafHash: new Uint8Array(createHash('sha256').update(leafDer).digest()) };
    parsedChains.set(signer, parsed);
  }
  return parsed;
}

/**
 * ESS SigningCertificateV2 (RFC 5035) naming the signing certificate by its SHA-256 hash (the
 * default hashAlgorithm, hence omitted) and issuer/serial, so the certificate cannot be swapped.
 */
function signingCertificateV2(chain: ParsedChain): asn1js.Sequence {
  const issuerSerial = new asn1js.Sequence({
    value: [
      // GeneralNames ::= SEQUENCE OF GeneralName; directoryName [4] is explicit because Name is a CHOICE.
      new asn1js.Sequence({ value: [new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 4 }, value: [chain.leaf.issuer.toSchema()] })] }),
      chain.leaf.serialNumber,
    ],
  });
  const essCertIdV2 = new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: chain.leafHash }), issuerSerial] });
  return new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [essCertIdV2] })] });
}

/**
 * Orders attributes as DER requires for a SET OF (ascending encodings, X.690 §11.6). The
 * signature covers these exact bytes; a verifier that re-encodes the attributes in canonical DER
 * before checking (some do) would otherwise hash different bytes and reject a correct signature.
 */
function derSetOrder(attributes: pkijs.Attribute[]): pkijs.Attribute[] {
  const encoded = attributes.map((a) => ({ a, der: new Uint8Array(a.toSchema().toBER()) }));
  encoded.sort((x, y) => {
    const n = Math.max(x.der.length, y.der.length);
    for (let i = 0; i < n; i++) {
      const d = (x.der[i] ?? 0) - (y.der[i] ?? 0);
      if (d !== 0) return d;
    }
    return 0;
  });
  return encoded.map((e) => e.a);
}
