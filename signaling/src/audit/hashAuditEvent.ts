import { createHash } from 'node:crypto';
import type { AuditEvent } from './AuditEvent.js';
import { canonicalJson } from './canonicalJson.js';

/** The chain hash of an event: SHA-256 (hex) over the canonical JSON of everything but `hash`. */
export function hashAuditEvent(event: Omit<AuditEvent, 'hash'> & { hash?: string }): string {
  const { hash: _ignored, ...body } = event;
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}
