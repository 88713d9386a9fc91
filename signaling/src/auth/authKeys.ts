/**
 * The Redis key layout of the auth module; every key lives under `auth:`. Secrets (invite tokens,
 * session ids, device tokens, activation tokens, challenges) appear only as SHA-256 hashes.
 */
export const authKeys = {
  /** HASH: one staff member (see StaffRecord). */
  staff: (staffId: string) => `auth:staff:${staffId}`,
  /** SET: every staff id (listing). */
  staffIds: () => 'auth:staff-ids',
  /** SET: ids of enabled administrators (bootstrap is possible only while empty). */
  admins: () => 'auth:admins',
  /** SET: credential ids of one staff member. */
  staffCredentials: (staffId: string) => `auth:staff:${staffId}:credentials`,
  /** SET: session hashes of one staff member (for deleting them all on revocation). */
  staffSessions: (staffId: string) => `auth:staff:${staffId}:sessions`,
  /** HASH: one passkey (see CredentialRecord). */
  credential: (credentialId: string) => `auth:credential:${credentialId}`,
  /** HASH with TTL: one invite, keyed by the SHA-256 of its token; `usedAt` set when consumed. */
  invite: (tokenHash: string) => `auth:invite:${tokenHash}`,
  /** ZSET: token hashes of issued invites scored by expiry, for listing the pending ones. */
  invites: () => 'auth:invites',
  /** STRING with TTL: token hash of the current bootstrap invite. */
  bootstrapInvite: () => 'auth:bootstrap-invite',
  /** STRING with TTL: one pending WebAuthn challenge (JSON), keyed by SHA-256 of the challenge; GETDEL once. */
  challenge: (challengeHash: string) => `auth:challenge:${challengeHash}`,
  /** HASH with TTL: one staff session, keyed by SHA-256 of the session id. */
  session: (sessionHash: string) => `auth:session:${sessionHash}`,
  /** HASH: one counter terminal (see CounterRecord). */
  counter: (counterId: string) => `auth:counter:${counterId}`,
  /** SET: every counter id (listing). */
  counterIds: () => 'auth:counter-ids',
  /** SET: device-token hashes issued to one counter (deleted on revocation). */
  counterDevices: (counterId: string) => `auth:counter:${counterId}:devices`,
  /** STRING with TTL: counter id for one device token hash (the `rvw_dev` cookie). */
  device: (deviceHash: string) => `auth:device:${deviceHash}`,
  /** STRING with TTL: counter id for a one-time activation token hash; GETDEL once. */
  activation: (activationHash: string) => `auth:activation:${activationHash}`,
  /** STRING with TTL: express-rate-limit hit counter. */
  rateLimit: (key: string) => `auth:ratelimit:${key}`,
  /** Pub/sub channel carrying RevocationEvent JSON. */
  revokedChannel: () => 'auth:revoked',
} as const;
