/** Cookie names and attributes of the auth module, derived from the public origin. */
export interface AuthCookies {
  /** Staff session cookie name: `rvw_sid`. */
  readonly session: 'rvw_sid';
  /** Counter device cookie name: `rvw_dev`. */
  readonly device: 'rvw_dev';
  /** Whether cookies carry `Secure` (false only for plain-http localhost / 127.0.0.1 development). */
  readonly secure: boolean;
  /** Attributes for `res.cookie(name, value, attrs)`: HttpOnly, SameSite=Strict, Path=/, Max-Age. */
  attributes(maxAgeMs: number): { httpOnly: true; secure: boolean; sameSite: 'strict'; path: '/'; maxAge: number };
}

const DEV_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Builds the cookie settings for a public origin such as `https://rvw.gov.example`. */
export function authCookies(publicOrigin: string): AuthCookies {
  const u = new URL(publicOrigin);
  const secure = !(u.protocol === 'http:' && DEV_HOSTS.has(u.hostname));
  return {
    session: 'rvw_sid',
    device: 'rvw_dev',
    secure,
    attributes: (maxAgeMs) => ({ httpOnly: true, secure, sameSite: 'strict', path: '/', maxAge: maxAgeMs }),
  };
}
