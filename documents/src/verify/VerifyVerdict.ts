import type { DocumentType } from '@rvw/protocol';

/** Why a document is (in)valid; stable codes, shown to people through {@link VERDICT_MESSAGES}. */
export type VerifyReason =
  | 'OK'
  | 'NOT_PDF'
  | 'NO_SIGNATURE'
  | 'MULTIPLE_SIGNATURES'
  | 'MALFORMED_SIGNATURE'
  | 'DIGEST_MISMATCH'
  | 'SIGNATURE_INVALID'
  | 'CERTIFICATE_UNTRUSTED'
  | 'TIMESTAMP_INVALID'
  | 'NOT_TOTAL_DOCUMENT'
  | 'NOT_REGISTERED';

/** Result of verifying a PDF; carries no personal data (none is read from the file). */
export interface VerifyVerdict {
  valid: boolean;
  reason: VerifyReason;
  /** Simplified Chinese explanation of `reason`. */
  message: string;
  /** SHA-256 (hex) of the bytes verified. */
  sha256: string;
  /** Subject CN of the signing certificate, when a signature could be read. */
  signer?: string;
  /** From the registry, when the file is a document issued here. */
  number?: string;
  issuer?: string;
  issuedAt?: string;
  title?: string;
  type?: DocumentType;
  /** Built from demonstration data (the page says 演示数据). */
  sample?: boolean;
  /** RFC 3161 signature timestamp, when present and matching the signature. */
  timestamp?: { time: string; tsa: string; trusted: boolean };
}

/** People-facing text for every reason. */
export const VERDICT_MESSAGES: Record<VerifyReason, string> = {
  OK: '电子签名验证通过，且与本平台存档的文书完全一致。',
  NOT_PDF: '上传的文件不是 PDF 文件。',
  NO_SIGNATURE: '文件中没有电子签名，不是本平台出具的电子文书。',
  MULTIPLE_SIGNATURES: '文件包含多个签名，不是本平台出具的原始文书。',
  MALFORMED_SIGNATURE: '电子签名数据已损坏，无法验证。',
  DIGEST_MISMATCH: '文件内容在签名后被修改，文书无效。',
  SIGNATURE_INVALID: '电子签名验证失败，文书无效。',
  CERTIFICATE_UNTRUSTED: '签名证书不是由受信任的机构签发，文书无效。',
  TIMESTAMP_INVALID: '签名时间戳无效，文书无效。',
  NOT_TOTAL_DOCUMENT: '签名未覆盖整个文件：签名后文件被追加了内容，文书无效。',
  NOT_REGISTERED: '电子签名有效，但本平台没有该文书的存档记录。',
};
