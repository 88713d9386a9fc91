import { ApiError } from './ApiError';
import { requestJson } from './requestJson';

/** The principal as `/api/auth/me` returns it (mirrors signaling/src/auth/Principal.ts). */
export type MePrincipal =
  | { kind: 'staff'; role: 'admin'; staffId: string; name: string; regionCodes: string[] }
  | { kind: 'staff'; role: 'clerk'; staffId: string; name: string; regionCode: string; itemCodes: string[] }
  | { kind: 'counter'; counterId: string; hallId: string; regionCode: string; name: string };

/**
 * For staff pages (clerk.html, admin.html): returns the signed-in principal, or sends the browser
 * to `/login.html?reason=<code>` (not signed in / session expired / revoked) and never resolves.
 * When `role` is given and differs, goes to the page of the actual role instead.
 */
export async function requireSignedIn(role?: 'admin' | 'clerk', loc: Location = location): Promise<MePrincipal> {
  try {
    const { principal } = await requestJson<{ principal: MePrincipal }>('GET', '/api/auth/me');
    if (role && (principal.kind !== 'staff' || principal.role !== role)) {
      loc.assign(principal.kind === 'staff' ? `/${principal.role}.html` : '/counter.html');
      return new Promise<never>(() => undefined);
    }
    return principal;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      const reason = typeof error.details?.reason === 'string' ? error.details.reason : error.code;
      loc.assign(`/login.html?reason=${encodeURIComponent(reason)}`);
      return new Promise<never>(() => undefined);
    }
    throw error;
  }
}
