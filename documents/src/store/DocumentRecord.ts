import type { DocumentType } from '@rvw/protocol';

/**
 * The index entry of an issued document (Redis hash `doc:{number}`). It holds what verification
 * and printing need and nothing personal beyond what the document prints in masked form.
 */
export interface DocumentRecord {
  number: string;
  /**
   * The public, unguessable handle (128 random bits, base64url) in the QR code and the
   * `/verify/{handle}` URL; the sequential number alone opens nothing.
   */
  handle: string;
  /** Built from demonstration data: /verify says 演示数据. */
  sample: boolean;
  /** SHA-256 (hex) of the signed PDF bytes; also the file name in the content-addressed store. */
  sha256: string;
  size: number;
  caseId: string;
  type: DocumentType;
  title: string;
  /** Issuing region code (its key signed the document). */
  issuerRegion: string;
  issuerRegionName: string;
  /** Issuing authority as printed. */
  issuerName: string;
  /** Subject CN of the signing certificate. */
  signerSubject: string;
  /** ISO 8601 instant. */
  issuedAt: string;
  /** Staff id of the issuing clerk (the only one who may approve a reprint). */
  issuedBy: string;
  /** Applicant name masked (张*丰), for staff-side lookups; never shown on the public page. */
  applicantMasked: string;
  itemCode: string;
  itemName: string;
}
