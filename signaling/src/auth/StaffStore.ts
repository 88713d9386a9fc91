import type { RedisClient } from '../store/redisClient.js';
import { authKeys } from './authKeys.js';
import type { StaffScope } from '@rvw/protocol/admin';
export type { StaffScope };

interface StaffBase {
  id: string;
  /** Display name (personal data: never logged). */
  name: string;
  disabled: boolean;
  createdAt: number;
  disabledAt?: number;
  /** Staff id of the inviting administrator, or `bootstrap`. */
  invitedBy: string;
}

/** A staff member as stored. */
export type StaffRecord =
  | (StaffBase & { role: 'admin'; regionCodes: string[] })
  | (StaffBase & { role: 'clerk'; regionCode: string; itemCodes: string[] });

/** One passkey of a staff member as stored. */
export interface CredentialRecord {
  /** WebAuthn credential id, base64url. */
  credentialId: string;
  staffId: string;
  /** COSE public key, base64url. */
  publicKey: string;
  /** Last signature counter seen. */
  counter: number;
  transports: string[];
  createdAt: number;
  lastUsedAt?: number;
  revoked: boolean;
  revokedAt?: number;
}

/** Result of {@link StaffStore.commitEnrolment}: `OK` or the stable error code that refused it. */
export type EnrolmentOutcome =
  | 'OK'
  | 'AUTH_INVITE_INVALID'
  | 'AUTH_INVITE_USED'
  | 'AUTH_INVITE_EXPIRED'
  | 'AUTH_BOOTSTRAP_CLOSED'
  | 'AUTH_CREDENTIAL_EXISTS'
  | 'AUTH_STAFF_DISABLED'
  | 'STAFF_NOT_FOUND'
  | 'STAFF_EXISTS';

/** Result of {@link StaffStore.recordCredentialUse}. */
export type CredentialUseOutcome = 'OK' | 'MISSING' | 'REVOKED' | 'COUNTER_NOT_INCREASED';

// Consumes the invite and writes staff + credential in ONE atomic step: two concurrent
// verifications of the same invite can never both succeed.
const ENROL_SCRIPT = `
local inviteKey, staffKey, credsKey, credKey, staffIdsKey, adminsKey, bootstrapKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local now, isNew, staffId, credId = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
local staffFields, credFields = cjson.decode(ARGV[5]), cjson.decode(ARGV[6])
if redis.call('EXISTS', inviteKey) == 0 then return 'AUTH_INVITE_INVALID' end
if redis.call('HEXISTS', inviteKey, 'usedAt') == 1 then return 'AUTH_INVITE_USED' end
local expiresAt = tonumber(redis.call('HGET', inviteKey, 'expiresAt'))
if (not expiresAt) or expiresAt <= now then return 'AUTH_INVITE_EXPIRED' end
local isBootstrap = redis.call('HGET', inviteKey, 'bootstrap') == '1'
if isBootstrap and redis.call('SCARD', adminsKey) > 0 then return 'AUTH_BOOTSTRAP_CLOSED' end
if redis.call('EXISTS', credKey) == 1 then return 'AUTH_CREDENTIAL_EXISTS' end
local role
if isNew == '1' then
  if redis.call('EXISTS', staffKey) == 1 then return 'STAFF_EXISTS' end
  for k, v in pairs(staffFields) do redis.call('HSET', staffKey, k, v) end
  redis.call('SADD', staffIdsKey, staffId)
  role = staffFields['role']
else
  if redis.call('EXISTS', staffKey) == 0 then return 'STAFF_NOT_FOUND' end
  if redis.call('HGET', staffKey, 'disabled') == '1' then return 'AUTH_STAFF_DISABLED' end
  role = redis.call('HGET', staffKey, 'role')
end
if role == 'admin' then redis.call('SADD', adminsKey, staffId) end
redis.call('HSET', inviteKey, 'usedAt', tostring(now))
for k, v in pairs(credFields) do redis.call('HSET', credKey, k, v) end
redis.call('SADD', credsKey, credId)
if isBootstrap then redis.call('DEL', bootstrapKey) end
return 'OK'
`;

// Updates counter and last use unless the credential was revoked meanwhile or the counter went back.
const USE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'MISSING' end
if redis.call('HGET', KEYS[1], 'revoked') == '1' then return 'REVOKED' end
local stored = tonumber(redis.call('HGET', KEYS[1], 'counter')) or 0
local newCounter = tonumber(ARGV[1])
if (newCounter > 0 or stored > 0) and newCounter <= stored then return 'COUNTER_NOT_INCREASED' end
redis.call('HSET', KEYS[1], 'counter', ARGV[1], 'lastUsedAt', ARGV[2])
return 'OK'
`;

/** Staff members and their passkeys in Redis (`auth:staff:*`, `auth:credential:*`). */
export class StaffStore {
  private constructor(private readonly redis: RedisClient) {}

  /** Creates the store over a connected Redis client. */
  static async create(opts: { redis: RedisClient }): Promise<StaffStore> {
    return new StaffStore(opts.redis);
  }

  /** One staff member, or undefined. */
  async getStaff(staffId: string): Promise<StaffRecord | undefined> {
    return decodeStaff(await this.redis.hGetAll(authKeys.staff(staffId)));
  }

  /** Every staff member (unordered; the caller filters by what the viewer may see). */
  async listStaff(): Promise<StaffRecord[]> {
    const ids = await this.redis.sMembers(authKeys.staffIds());
    const rows = await Promise.all(ids.map((id) => this.getStaff(id)));
    return rows.filter((r): r is StaffRecord => r !== undefined);
  }

  /** One passkey, or undefined. */
  async getCredential(credentialId: string): Promise<CredentialRecord | undefined> {
    return decodeCredential(await this.redis.hGetAll(authKeys.credential(credentialId)));
  }

  /** Every passkey of a staff member, oldest first. */
  async listCredentials(staffId: string): Promise<CredentialRecord[]> {
    const ids = await this.redis.sMembers(authKeys.staffCredentials(staffId));
    const rows = await Promise.all(ids.map((id) => this.getCredential(id)));
    return rows.filter((r): r is CredentialRecord => r !== undefined).sort((a, b) => a.createdAt - b.createdAt);
  }

  /** True while at least one enabled administrator exists. */
  async hasEnabledAdmin(): Promise<boolean> {
    return (await this.redis.sCard(authKeys.admins())) > 0;
  }

  /**
   * Atomically consumes the invite `inviteHash` and stores the credential, creating the staff
   * member `staff` when given (else adding the passkey to existing `staffId`).
   */
  async commitEnrolment(input: {
    inviteHash: string;
    now: number;
    staffId: string;
    staff?: StaffRecord;
    credential: CredentialRecord;
  }): Promise<EnrolmentOutcome> {
    const { staffId, credential } = input;
    const result = await this.redis.eval(ENROL_SCRIPT, {
      keys: [
        authKeys.invite(input.inviteHash),
        authKeys.staff(staffId),
        authKeys.staffCredentials(staffId),
        authKeys.credential(credential.credentialId),
        authKeys.staffIds(),
        authKeys.admins(),
        authKeys.bootstrapInvite(),
      ],
      arguments: [
        String(input.now),
        input.staff ? '1' : '0',
        staffId,
        credential.credentialId,
        JSON.stringify(input.staff ? encodeStaff(input.staff) : {}),
        JSON.stringify(encodeCredential(credential)),
      ],
    });
    return String(result) as EnrolmentOutcome;
  }

  /** Records a successful sign-in with `credentialId` (new signature counter, last use). */
  async recordCredentialUse(credentialId: string, newCounter: number, now: number): Promise<CredentialUseOutcome> {
    const result = await this.redis.eval(USE_SCRIPT, {
      keys: [authKeys.credential(credentialId)],
      arguments: [String(newCounter), String(now)],
    });
    return String(result) as CredentialUseOutcome;
  }

  /** Marks a staff member disabled (and no longer counted as an enabled admin). */
  async disableStaff(staffId: string, now: number): Promise<void> {
    await this.redis
      .multi()
      .hSet(authKeys.staff(staffId), { disabled: '1', disabledAt: String(now) })
      .sRem(authKeys.admins(), staffId)
      .exec();
  }

  /** Marks one passkey revoked. */
  async revokeCredential(credentialId: string, now: number): Promise<void> {
    await this.redis.hSet(authKeys.credential(credentialId), { revoked: '1', revokedAt: String(now) });
  }
}

function encodeStaff(s: StaffRecord): Record<string, string> {
  const base: Record<string, string> = {
    id: s.id,
    name: s.name,
    role: s.role,
    disabled: s.disabled ? '1' : '0',
    createdAt: String(s.createdAt),
    invitedBy: s.invitedBy,
  };
  if (s.role === 'admin') base.regionCodes = JSON.stringify(s.regionCodes);
  else {
    base.regionCode = s.regionCode;
    base.itemCodes = JSON.stringify(s.itemCodes);
  }
  return base;
}

function decodeStaff(h: Record<string, string>): StaffRecord | undefined {
  if (!h.id || !h.role) return undefined;
  const base: StaffBase = {
    id: h.id,
    name: h.name ?? '',
    disabled: h.disabled === '1',
    createdAt: Number(h.createdAt ?? 0),
    invitedBy: h.invitedBy ?? '',
    ...(h.disabledAt ? { disabledAt: Number(h.disabledAt) } : {}),
  };
  if (h.role === 'admin') return { ...base, role: 'admin', regionCodes: parseList(h.regionCodes) };
  if (h.role === 'clerk') return { ...base, role: 'clerk', regionCode: h.regionCode ?? '', itemCodes: parseList(h.itemCodes) };
  return undefined;
}

function encodeCredential(c: CredentialRecord): Record<string, string> {
  return {
    credentialId: c.credentialId,
    staffId: c.staffId,
    publicKey: c.publicKey,
    counter: String(c.counter),
    transports: JSON.stringify(c.transports),
    createdAt: String(c.createdAt),
    revoked: c.revoked ? '1' : '0',
  };
}

function decodeCredential(h: Record<string, string>): CredentialRecord | undefined {
  if (!h.credentialId || !h.staffId || !h.publicKey) return undefined;
  return {
    credentialId: h.credentialId,
    staffId: h.staffId,
    publicKey: h.publicKey,
    counter: Number(h.counter ?? 0),
    transports: parseList(h.transports),
    createdAt: Number(h.createdAt ?? 0),
    revoked: h.revoked === '1',
    ...(h.lastUsedAt ? { lastUsedAt: Number(h.lastUsedAt) } : {}),
    ...(h.revokedAt ? { revokedAt: Number(h.revokedAt) } : {}),
  };
}

function parseList(json: string | undefined): string[] {
  if (!json) return [];
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}
