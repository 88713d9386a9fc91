import { randomUUID } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { decodeClientDataJSON, isoBase64URL } from '@simplewebauthn/server/helpers';
import type { Config } from '../config.js';
import { AppError } from '../errors/AppError.js';
import type { ChallengeStore } from './ChallengeStore.js';
import type { Clock } from './Clock.js';
import { hashToken } from './hashToken.js';
import type { InviteRecord, InviteService } from './InviteService.js';
import type { StaffPrincipal } from './Principal.js';
import type { SessionStore } from './SessionStore.js';
import type { StaffRecord, StaffScope, StaffStore } from './StaffStore.js';
import { toStaffPrincipal } from './toStaffPrincipal.js';

/** What an invite grants, shown on the enrolment page before the ceremony. */
export interface InviteSummary {
  /** Scope of the new staff member, or of the existing one getting another passkey. */
  scope: StaffScope;
  /** True when the invite adds a passkey to an existing staff member. */
  existingStaff: boolean;
  expiresAt: number;
}

/**
 * Passkey ceremonies with @simplewebauthn/server: registration only with a live invite (the invite
 * is consumed atomically with storing the credential), usernameless sign-in with discoverable
 * credentials; user verification and resident keys required; challenges single-use with a TTL.
 */
export class PasskeyService {
  private constructor(
    private readonly webauthn: Config['webauthn'],
    private readonly clock: Clock,
    private readonly staff: StaffStore,
    private readonly invites: InviteService,
    private readonly challenges: ChallengeStore,
    private readonly sessions: SessionStore,
  ) {}

  /** Creates the service (rpID, rpName and expected origins from `config.webauthn`). */
  static async create(opts: {
    config: Pick<Config, 'webauthn'>;
    clock: Clock;
    staff: StaffStore;
    invites: InviteService;
    challenges: ChallengeStore;
    sessions: SessionStore;
  }): Promise<PasskeyService> {
    return new PasskeyService(opts.config.webauthn, opts.clock, opts.staff, opts.invites, opts.challenges, opts.sessions);
  }

  /** What the invite `token` grants (throws the invite's AUTH_INVITE_* code when it is not live). */
  async inspectInvite(token: string): Promise<InviteSummary> {
    return this.summarize(await this.invites.inspect(token));
  }

  private async summarize(invite: InviteRecord): Promise<InviteSummary> {
    const existing = invite.staffId ? await this.liveStaff(invite.staffId) : undefined;
    const scope = existing ? scopeOf(existing) : invite.scope;
    if (!scope) throw new AppError('AUTH_INVITE_INVALID', '邀请链接无效 (invite has no scope)', 404);
    return { scope, existingStaff: existing !== undefined, expiresAt: invite.expiresAt };
  }

  /** Registration options for the holder of invite `token`; `name` is required for a new staff member. */
  async registrationOptions(input: { token: string; name?: string }): Promise<{ options: PublicKeyCredentialCreationOptionsJSON; invite: InviteSummary }> {
    const invite = await this.invites.inspect(input.token);
    const summary = await this.summarize(invite);
    let staffId: string;
    let name: string;
    let exclude: { id: string; transports?: string[] }[] = [];
    if (invite.staffId) {
      const existing = await this.liveStaff(invite.staffId);
      staffId = existing.id;
      name = existing.name;
      exclude = (await this.staff.listCredentials(staffId)).map((c) => ({ id: c.credentialId, transports: c.transports }));
    } else {
      if (!input.name) throw new AppError('VALIDATION_FAILED', '请填写姓名 (name is required)', 400, { field: 'name' });
      staffId = randomUUID();
      name = input.name;
    }
    const options = await generateRegistrationOptions({
      rpName: this.webauthn.rpName,
      rpID: this.webauthn.rpId,
      userName: name,
      userDisplayName: name,
      userID: new TextEncoder().encode(staffId),
      attestationType: 'none',
      excludeCredentials: exclude,
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
      extensions: { credProps: true },
      timeout: 120_000,
    });
    await this.challenges.put(options.challenge, { purpose: 'register', inviteHash: invite.tokenHash, staffId, existing: Boolean(invite.staffId), name });
    return { options, invite: summary };
  }

  /**
   * Verifies the browser's registration response for invite `token`, then atomically consumes
   * the invite and stores the passkey (creating the staff member for a new-staff invite).
   */
  async verifyRegistration(input: { token: string; response: RegistrationResponseJSON }): Promise<{ staffId: string; role: StaffScope['role'] }> {
    const challenge = challengeOf(input.response.response.clientDataJSON);
    const context = await this.challenges.take(challenge, 'register');
    const inviteHash = hashToken(input.token);
    if (context.inviteHash !== inviteHash) {
      throw new AppError('AUTH_CHALLENGE_INVALID', '验证请求与邀请不匹配，请重试 (challenge was issued for another invite)', 400);
    }
    const invite = await this.invites.inspect(input.token);
    let verification;
    try {
      verification = await verifyRegistrationResponse({
        response: input.response,
        expectedChallenge: challenge,
        expectedOrigin: [...this.webauthn.origins],
        expectedRPID: this.webauthn.rpId,
        requireUserVerification: true,
      });
    } catch {
      throw verificationFailed(400);
    }
    if (!verification.verified) throw verificationFailed(400);
    const credProps = (input.response.clientExtensionResults as { credProps?: { rk?: boolean } }).credProps;
    if (credProps?.rk === false) {
      throw new AppError('AUTH_PASSKEY_NOT_DISCOVERABLE', '该认证器不支持通行密钥（可发现凭据），请换用支持通行密钥的设备 (authenticator did not create a discoverable credential)', 400);
    }
    const { credential } = verification.registrationInfo;
    const now = this.clock.now();
    let newStaff: StaffRecord | undefined;
    if (!context.existing) {
      const scope = invite.scope;
      if (!scope) throw new AppError('AUTH_INVITE_INVALID', '邀请链接无效 (invite has no scope)', 404);
      const base = { id: context.staffId, name: context.name, disabled: false, createdAt: now, invitedBy: invite.createdBy };
      newStaff = scope.role === 'admin' ? { ...base, ...scope } : { ...base, ...scope };
    }
    const outcome = await this.staff.commitEnrolment({
      inviteHash,
      now,
      staffId: context.staffId,
      ...(newStaff ? { staff: newStaff } : {}),
      credential: {
        credentialId: credential.id,
        staffId: context.staffId,
        publicKey: isoBase64URL.fromBuffer(credential.publicKey),
        counter: credential.counter,
        transports: credential.transports ?? input.response.response.transports ?? [],
        createdAt: now,
        revoked: false,
      },
    });
    if (outcome !== 'OK') throw enrolmentRefused(outcome);
    const role = newStaff?.role ?? (await this.liveStaff(context.staffId)).role;
    return { staffId: context.staffId, role };
  }

  /** Options for a usernameless sign-in (empty allowCredentials, user verification required). */
  async authenticationOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const options = await generateAuthenticationOptions({
      rpID: this.webauthn.rpId,
      allowCredentials: [],
      userVerification: 'required',
      timeout: 120_000,
    });
    await this.challenges.put(options.challenge, { purpose: 'login' });
    return options;
  }

  /** Verifies a sign-in assertion, updates the signature counter and starts a session. */
  async verifyAuthentication(response: AuthenticationResponseJSON): Promise<{ sessionId: string; principal: StaffPrincipal }> {
    const challenge = challengeOf(response.response.clientDataJSON);
    await this.challenges.take(challenge, 'login');
    const stored = await this.staff.getCredential(response.id);
    if (!stored) {
      throw new AppError('AUTH_CREDENTIAL_UNKNOWN', '此通行密钥未在本系统注册，请使用受邀注册的通行密钥 (unknown credential)', 401);
    }
    if (response.response.userHandle) {
      let handle: string | undefined;
      try {
        handle = isoBase64URL.toUTF8String(response.response.userHandle);
      } catch {
        handle = undefined;
      }
      if (handle !== stored.staffId) throw verificationFailed(401);
    }
    let verification;
    try {
      verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: [...this.webauthn.origins],
        expectedRPID: this.webauthn.rpId,
        credential: { id: stored.credentialId, publicKey: isoBase64URL.toBuffer(stored.publicKey), counter: stored.counter, transports: stored.transports },
        requireUserVerification: true,
      });
    } catch {
      throw verificationFailed(401);
    }
    if (!verification.verified) throw verificationFailed(401);
    // Only a holder of the private key gets this far: now it is safe to say why access is refused.
    if (stored.revoked) throw credentialRevoked();
    const staff = await this.liveStaff(stored.staffId);
    const use = await this.staff.recordCredentialUse(stored.credentialId, verification.authenticationInfo.newCounter, this.clock.now());
    if (use === 'REVOKED') throw credentialRevoked();
    if (use !== 'OK') throw verificationFailed(401);
    const { sessionId } = await this.sessions.createSession(staff.id, stored.credentialId);
    return { sessionId, principal: toStaffPrincipal(staff) };
  }

  private async liveStaff(staffId: string): Promise<StaffRecord> {
    const s = await this.staff.getStaff(staffId);
    if (!s) throw new AppError('STAFF_NOT_FOUND', '未找到该工作人员 (staff not found)', 404);
    if (s.disabled) throw new AppError('AUTH_STAFF_DISABLED', '您的账号已被停用，请联系管理员 (staff member disabled)', 403);
    return s;
  }
}

function scopeOf(s: StaffRecord): StaffScope {
  return s.role === 'admin' ? { role: 'admin', regionCodes: s.regionCodes } : { role: 'clerk', regionCode: s.regionCode, itemCodes: s.itemCodes };
}

function challengeOf(clientDataJSON: string): string {
  try {
    const challenge = decodeClientDataJSON(clientDataJSON).challenge;
    if (typeof challenge === 'string' && challenge.length > 0) return challenge;
  } catch {
    // fall through
  }
  throw new AppError('AUTH_CHALLENGE_INVALID', '验证请求无效，请重试 (no challenge in client data)', 400);
}

function verificationFailed(status: number): AppError {
  return new AppError('AUTH_VERIFICATION_FAILED', '通行密钥验证失败，请重试 (passkey verification failed)', status);
}

function credentialRevoked(): AppError {
  return new AppError('AUTH_CREDENTIAL_REVOKED', '此通行密钥已被管理员吊销，请联系管理员 (passkey revoked)', 401);
}

function enrolmentRefused(outcome: string): AppError {
  switch (outcome) {
    case 'AUTH_INVITE_USED':
      return new AppError(outcome, '该邀请链接已被使用 (invite already used)', 410);
    case 'AUTH_INVITE_EXPIRED':
      return new AppError(outcome, '该邀请链接已过期 (invite expired)', 410);
    case 'AUTH_BOOTSTRAP_CLOSED':
      return new AppError(outcome, '系统已有管理员，初始化邀请已失效 (an administrator already exists)', 409);
    case 'AUTH_CREDENTIAL_EXISTS':
      return new AppError(outcome, '此通行密钥已注册过 (credential already registered)', 409);
    case 'AUTH_STAFF_DISABLED':
      return new AppError(outcome, '该工作人员已被停用 (staff member disabled)', 403);
    case 'STAFF_NOT_FOUND':
      return new AppError(outcome, '未找到该工作人员 (staff not found)', 404);
    default:
      return new AppError('AUTH_INVITE_INVALID', '邀请链接无效 (invite unknown)', 404);
  }
}
