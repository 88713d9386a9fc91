/** Lifetimes used by the auth module, in milliseconds. */
export interface AuthTimeouts {
  /** Staff invite validity (default 72 h). */
  inviteMs: number;
  /** A WebAuthn challenge must be answered within this (default 5 min). */
  challengeMs: number;
  /** A session without any request for this long is dead (default 30 min, sliding). */
  sessionIdleMs: number;
  /** A session dies this long after sign-in whatever the activity (default 12 h). */
  sessionAbsoluteMs: number;
  /** Counter activation link validity (default 72 h). */
  activationMs: number;
  /** Lifetime of a counter device cookie `rvw_dev` (default 400 days, the browser maximum). */
  deviceMs: number;
}

/** The defaults for {@link AuthTimeouts}. */
export const defaultAuthTimeouts: Readonly<AuthTimeouts> = Object.freeze({
  inviteMs: 72 * 3600_000,
  challengeMs: 5 * 60_000,
  sessionIdleMs: 30 * 60_000,
  sessionAbsoluteMs: 12 * 3600_000,
  activationMs: 72 * 3600_000,
  deviceMs: 400 * 24 * 3600_000,
});
