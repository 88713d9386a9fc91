// What the administration HTTP API sends: staff, passkeys, invites and counter terminals. The
// server's stores produce these shapes and the admin page renders them; both import them here.

/** What a staff member may do: an administrator of regions, or a clerk of one region's items. */
export type StaffScope = { role: 'admin'; regionCodes: string[] } | { role: 'clerk'; regionCode: string; itemCodes: string[] };

/** One passkey of a staff member as an administrator sees it (no key material). */
export interface CredentialView {
  credentialId: string;
  createdAt: number;
  lastUsedAt?: number;
  revoked: boolean;
  revokedAt?: number;
  transports: string[];
}

/** A staff member as an administrator sees it. */
export type StaffView = StaffScope & {
  id: string;
  name: string;
  disabled: boolean;
  createdAt: number;
  disabledAt?: number;
  credentials: CredentialView[];
};

/** An invite not used yet, as the administrator's list shows it. */
export interface PendingInvite {
  /** Stable id of the invite (the SHA-256 of its token, base64url; the token cannot be derived from it). */
  id: string;
  /** What it grants: a new staff member's scope, or one more passkey for `staffId`. */
  scope?: StaffScope;
  staffId?: string;
  staffName?: string;
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  bootstrap: boolean;
}

/** A freshly issued invite: the link is shown once. */
export interface IssuedInvite {
  /** Absolute enrolment link `<publicOrigin>/enroll.html#<token>`. */
  url: string;
  expiresAt: number;
}

/** A registered counter terminal (跨域通办 window device). */
export interface CounterRecord {
  counterId: string;
  hallId: string;
  /** Region of the hall. */
  regionCode: string;
  name: string;
  revoked: boolean;
  createdAt: number;
  /** Admin staff id that registered it. */
  createdBy: string;
  revokedAt?: number;
  /** Last successful activation. */
  activatedAt?: number;
}

/** A terminal just registered: its secrets are shown once. */
export interface RegisteredCounter {
  counter: CounterRecord;
  /** Long-lived re-activation secret (store offline); activates via `{counterId, deviceSecret}`. */
  deviceSecret: string;
  /** One-time link `<publicOrigin>/counter.html#activate=<token>` that the terminal opens. */
  activationUrl: string;
  activationExpiresAt: number;
}
