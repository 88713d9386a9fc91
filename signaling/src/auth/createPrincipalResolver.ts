import type { AuthCookies } from './authCookies.js';
import type { CounterRegistry } from './CounterRegistry.js';
import { parseCookies } from './parseCookies.js';
import type { Principal } from './Principal.js';
import type { SessionStore } from './SessionStore.js';
import type { StaffStore } from './StaffStore.js';
import { toStaffPrincipal } from './toStaffPrincipal.js';

/** Anything with request headers: an express Request or a raw http.IncomingMessage. */
export interface RequestWithHeaders {
  headers: { cookie?: string | string[] | undefined; origin?: string | string[] | undefined };
}

/** Resolves the principal of a request from its cookies (never throws for bad credentials). */
export type ResolvePrincipal = (req: RequestWithHeaders) => Promise<Principal>;

/**
 * Builds `resolvePrincipal(req)`: a staff principal from a live `rvw_sid` session whose member is
 * enabled and whose passkey is not revoked (checked on every call, so revocation is immediate),
 * else a counter principal from a live `rvw_dev` device token, else anonymous. An anonymous result
 * carries `reason` (AUTH_SESSION_EXPIRED, AUTH_SESSION_INVALID, AUTH_STAFF_DISABLED,
 * AUTH_CREDENTIAL_REVOKED, AUTH_DEVICE_INVALID, AUTH_COUNTER_REVOKED) when a cookie was presented.
 */
export function createPrincipalResolver(deps: {
  staff: StaffStore;
  sessions: SessionStore;
  counters: CounterRegistry;
  cookies: AuthCookies;
}): ResolvePrincipal {
  const { staff, sessions, counters, cookies } = deps;

  async function fromSession(sessionId: string): Promise<Principal> {
    const lookup = await sessions.resolve(sessionId);
    if (!lookup.ok) return { kind: 'anonymous', reason: lookup.reason };
    const [member, credential] = await Promise.all([staff.getStaff(lookup.session.staffId), staff.getCredential(lookup.session.credentialId)]);
    let reason: string | undefined;
    if (!member) reason = 'AUTH_SESSION_INVALID';
    else if (member.disabled) reason = 'AUTH_STAFF_DISABLED';
    else if (!credential || credential.revoked || credential.staffId !== member.id) reason = 'AUTH_CREDENTIAL_REVOKED';
    if (reason || !member) {
      await sessions.destroy(sessionId);
      return { kind: 'anonymous', reason: reason ?? 'AUTH_SESSION_INVALID' };
    }
    return toStaffPrincipal(member);
  }

  async function fromDevice(deviceToken: string): Promise<Principal> {
    const lookup = await counters.resolveDevice(deviceToken);
    if (!lookup.ok) return { kind: 'anonymous', reason: lookup.reason };
    const c = lookup.counter;
    return { kind: 'counter', counterId: c.counterId, hallId: c.hallId, regionCode: c.regionCode, name: c.name };
  }

  return async function resolvePrincipal(req) {
    const jar = parseCookies(req.headers.cookie);
    const sessionId = jar.get(cookies.session);
    const deviceToken = jar.get(cookies.device);
    let staffResult: Principal | undefined;
    if (sessionId) {
      staffResult = await fromSession(sessionId);
      if (staffResult.kind !== 'anonymous') return staffResult;
    }
    if (deviceToken) {
      const deviceResult = await fromDevice(deviceToken);
      if (deviceResult.kind !== 'anonymous') return deviceResult;
      return staffResult ?? deviceResult;
    }
    return staffResult ?? { kind: 'anonymous' };
  };
}
