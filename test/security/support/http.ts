/** A raw HTTP answer: status, JSON body when there is one, and the text otherwise. */
export interface HttpAnswer {
  status: number;
  contentType: string;
  json: { ok?: boolean; data?: unknown; error?: { code: string; message: string; details?: Record<string, unknown> } } | undefined;
  text: string;
}

/** HTTP methods the node serves. */
export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * One request the way a browser on `origin` would send it (Origin header, cookies), with any
 * method, content type and raw body. Redirects are not followed.
 */
export async function httpRequest(
  origin: string,
  method: Method,
  path: string,
  opts: { cookie?: string; body?: unknown; rawBody?: string | Buffer; contentType?: string; headers?: Record<string, string> } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { accept: 'application/json', origin, ...opts.headers };
  if (opts.cookie) headers.cookie = opts.cookie;
  let body: string | Buffer | undefined;
  if (opts.rawBody !== undefined) body = opts.rawBody;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
  // A copy into a plain ArrayBuffer: what fetch's BodyInit types accept.
  const payload = Buffer.isBuffer(body) ? new Blob([Uint8Array.from(body)]) : body;
  const res = await fetch(origin + path, { method, headers, redirect: 'manual', ...(payload !== undefined ? { body: payload } : {}) });
  const text = await res.text();
  const contentType = res.headers.get('content-type') ?? '';
  let json: HttpAnswer['json'];
  if (contentType.includes('json')) {
    try {
      json = JSON.parse(text) as HttpAnswer['json'];
    } catch {
      json = undefined;
    }
  }
  return { status: res.status, contentType, json, text };
}
