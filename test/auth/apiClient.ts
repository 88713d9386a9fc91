import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { SoftAuthenticator } from './softAuthenticator';

/** A parsed API answer. */
export interface ApiAnswer<T = Record<string, unknown>> {
  status: number;
  ok: boolean;
  data: T;
  error?: { code: string; message: string; details?: Record<string, unknown> };
  setCookies: string[];
}

/**
 * A tiny cookie-keeping HTTP client for the auth API: one instance = one browser. It sends the
 * configured Origin (like a browser's fetch) and remembers cookies from Set-Cookie.
 */
export class ApiClient {
  readonly jar = new Map<string, string>();

  constructor(
    private readonly baseUrl: string,
    private readonly origin: string | undefined,
  ) {}

  /** The Cookie header this client would send. */
  get cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** Sends one request. */
  async call<T = Record<string, unknown>>(method: 'GET' | 'POST', path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = { accept: 'application/json', ...extraHeaders };
    if (this.origin && method !== 'GET') headers.origin = this.origin;
    if (this.jar.size > 0) headers.cookie = this.cookieHeader;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.baseUrl + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const setCookies = res.headers.getSetCookie();
    for (const c of setCookies) {
      const [pair, ...attrs] = c.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (!pair || eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=thu, 01 jan 1970/i.test(a));
      if (expired || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
    const json = (await res.json()) as { ok: boolean; data?: T; error?: ApiAnswer['error'] };
    return { status: res.status, ok: json.ok, data: json.data as T, ...(json.error ? { error: json.error } : {}), setCookies };
  }

  /** Full enrolment with `authenticator` for invite `token`; returns the verify answer. */
  async enrol(authenticator: SoftAuthenticator, token: string, name = '测试人员'): Promise<ApiAnswer<{ staffId: string; role: string }>> {
    const opt = await this.call<{ options: PublicKeyCredentialCreationOptionsJSON }>('POST', '/api/auth/register/options', { token, name });
    if (!opt.ok) return opt as unknown as ApiAnswer<{ staffId: string; role: string }>;
    const response = authenticator.register(opt.data.options);
    return this.call('POST', '/api/auth/register/verify', { token, response });
  }

  /** Full usernameless sign-in with the authenticator's newest (or `index`) credential. */
  async signIn(authenticator: SoftAuthenticator, index?: number): Promise<ApiAnswer<{ redirect: string; principal: Record<string, unknown> }>> {
    const opt = await this.call<{ options: PublicKeyCredentialRequestOptionsJSON }>('POST', '/api/auth/login/options', {});
    const response = authenticator.authenticate(opt.data.options, index);
    return this.call('POST', '/api/auth/login/verify', { response });
  }
}

/** The token of an enrolment link `…/enroll.html#<token>`. */
export function tokenOf(url: string): string {
  const hash = new URL(url).hash.replace(/^#/, '');
  if (!hash) throw new Error(`no token in ${url}`);
  return hash;
}
