/**
 * An RFC 3161 time-stamping authority client. Given the SHA-256 of a CMS signature value, returns
 * the DER TimeStampToken (a CMS ContentInfo) that becomes the signature's
 * id-aa-signatureTimeStampToken unsigned attribute (PAdES-B-T).
 */
export interface Timestamper {
  /** Requests a token over `imprint` (SHA-256 digest); rejects when the TSA does not grant one. */
  timestamp(imprint: Uint8Array): Promise<Uint8Array>;
}
