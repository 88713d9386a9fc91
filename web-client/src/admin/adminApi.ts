import { ApiError } from '../auth/ApiError';

/** HTTP methods the admin API uses (the shared requestJson only knows GET and POST). */
export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * Calls an admin endpoint (same origin, session cookie) and returns `data` of `{ok:true,data}`;
 * throws ApiError carrying the server's code and Chinese message. A lost session (401) sends the
 * browser to the login page: every later call would fail the same way.
 */
export async function adminApi<T>(method: Method, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError('NETWORK_ERROR', '网络连接失败，请检查网络后重试', 0);
  }
  const payload = (await res.json().catch(() => undefined)) as
    | { ok?: boolean; data?: T; error?: { code?: string; message?: string; details?: Record<string, unknown> } }
    | undefined;
  if (res.ok && payload?.ok === true) return payload.data as T;
  const error = new ApiError(payload?.error?.code ?? 'BAD_RESPONSE', payload?.error?.message ?? `服务器响应异常（HTTP ${res.status}）`, res.status, payload?.error?.details);
  if (res.status === 401) {
    const reason = typeof error.details?.reason === 'string' ? error.details.reason : error.code;
    location.assign(`/login.html?reason=${encodeURIComponent(reason)}`);
  }
  throw error;
}

/** Path segment for an id chosen by administrators (codes are ASCII, but never trust that in a URL). */
export function seg(id: string): string {
  return encodeURIComponent(id);
}
