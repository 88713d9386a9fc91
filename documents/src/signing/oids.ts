/** Object identifiers used by the CMS/PAdES/RFC 3161 code, named as in their RFCs. */
export const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  /** RFC 5035 ESS signing-certificate-v2. */
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  /** RFC 3161 appendix A: signature time-stamp token as an unsigned attribute. */
  signatureTimeStampToken: '1.2.840.113549.1.9.16.2.14',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
} as const;
