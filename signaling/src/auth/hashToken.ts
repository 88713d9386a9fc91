import { createHash } from 'node:crypto';

/** SHA-256 of a secret token, base64url; only this hash is ever stored or used in Redis keys. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}
