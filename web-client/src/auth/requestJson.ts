import { ApiError } from './ApiError';

/**
 * Calls our JSON API (same origin, cookies included) and returns `data` of `{ ok: true, data }`;
 * throws ApiError with the server's code, or `NETWORK_ERROR` / `BAD_RESPONSE`.
 */
export async function requestJson<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError('NETWORK_ERROR', 'network error', 0);
  }
  let payload: unknown;
  try {
    payload = await res.json();
  } catch {
    throw new ApiError('BAD_RESPONSE', `unexpected response (HTTP ${res.status})`, res.status);
  }
  const p = payload as { ok?: boolean; data?: T; error?: { code?: string; message?: string; details?: Record<string, unknown> } };
  if (res.ok && p.ok === true) return p.data as T;
  throw new ApiError(p.error?.code ?? 'BAD_RESPONSE', p.error?.message ?? `HTTP ${res.status}`, res.status, p.error?.details);
}
