/**
 * What a signer is asked to sign for one document: the DER-encoded CMS signed attributes and
 * their SHA-256 digest. A software key signs `data` (hashing itself); an HSM signs `digest`
 * with a raw mechanism (PKCS#11 CKM_ECDSA), so the attributes never leave the host.
 */
export interface SignRequest {
  /** DER of the signed attributes (SET OF Attribute, tag 0x31) — what ECDSA-with-SHA256 covers. */
  data: Uint8Array;
  /** SHA-256 of `data`. */
  digest: Uint8Array;
}

/**
 * The seam between the document service and key custody: a region's signing key, wherever it
 * lives (PEM file, PKCS#12, HSM over PKCS#11). Algorithm is fixed to ECDSA P-256 with SHA-256.
 */
export interface Signer {
  /** DER certificates: the signing certificate first, then its issuers towards the root. */
  readonly certificateChain: readonly Uint8Array[];
  /** Human-readable subject CN of the signing certificate, e.g. 霍邱县政务服务管理局 (341522). */
  readonly subject: string;
  /** Returns a DER-encoded ECDSA-Sig-Value over the request (see {@link SignRequest}). */
  sign(request: SignRequest): Promise<Uint8Array>;
}
