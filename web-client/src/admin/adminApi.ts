import { ApiError } from '../auth/ApiError';
import { requestJson, type Method } from '../auth/requestJson';

export type { Method } from '../auth/requestJson';

/**
 * Calls an admin endpoint through the shared requestJson; a lost session (401) sends the browser
 * to the login page, since every later call would fail the same way.
 */
export async function adminApi<T>(method: Method, path: string, body?: unknown): Promise<T> {
  try {
    return await requestJson<T>(method, path, body);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      const reason = typeof e.details?.reason === 'string' ? e.details.reason : e.code;
      location.assign(`/login.html?reason=${encodeURIComponent(reason)}`);
    }
    throw e;
  }
}

/** Path segment for an id chosen by administrators (codes are ASCII, but never trust that in a URL). */
export function seg(id: string): string {
  return encodeURIComponent(id);
}
