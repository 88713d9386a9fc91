import { randomBytes } from 'node:crypto';

/** A fresh random secret: 32 bytes (256 bits) from the CSPRNG, base64url without padding. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}
