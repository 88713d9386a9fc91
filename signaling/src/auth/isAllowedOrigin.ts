/**
 * True when `origin` (an `Origin` header value) exactly matches one of the allowed origins
 * (scheme + host + port, compared after URL normalisation). `null`, missing and malformed → false.
 */
export function isAllowedOrigin(origin: string | undefined, allowed: readonly string[]): boolean {
  if (!origin || origin === 'null') return false;
  const normalised = normaliseOrigin(origin);
  if (!normalised) return false;
  return allowed.some((a) => normaliseOrigin(a) === normalised);
}

function normaliseOrigin(value: string): string | undefined {
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    return u.origin;
  } catch {
    return undefined;
  }
}
