import { ApiError } from './ApiError';

/** HTTP methods of our JSON API. */
export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * Calls our JSON API (same origin, cookies included) and returns `data` of `{ ok: true, data }`;
 * throws ApiError with the server's code and Chinese message, or `NETWORK_ERROR` / `BAD_RESPONSE`.
 * The one fetch wrapper of every page.
 */
export async function requestJson<T>(method: Method, path: string, body?: unknown): Promise<T> {
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
  let payload: unknown;
  try {
    payload = await res.json();
  } catch {
    throw new ApiError('BAD_RESPONSE', `服务器响应异常（HTTP ${res.status}）`, res.status);
  }
  const p = payload as { ok?: boolean; data?: T; error?: { code?: string; message?: string; details?: Record<string, unknown> } };
  if (res.ok && p.ok === true) return p.data as T;
  throw new ApiError(p.error?.code ?? 'BAD_RESPONSE', p.error?.message ?? `服务器响应异常（HTTP ${res.status}）`, res.status, p.error?.details);
}
