import { z } from 'zod';

/** The `prevHash` of a case's first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** A lower-case hex SHA-256 digest. */
export { Sha256Hex } from '@rvw/protocol/primitives';
import { Sha256Hex } from '@rvw/protocol/primitives';

/** Who did something: a staff member, a counter terminal or the system itself. */
export const AuditActor = z.strictObject({
  id: z.string(),
  role: z.enum(['counter', 'clerk', 'admin', 'system']),
  /** The actor's region code ('' for the system). */
  region: z.string(),
});
/** Who did something. */
export type AuditActor = z.infer<typeof AuditActor>;

/**
 * One audit event of a case (an entry of the `case:{id}:events` stream). `hash` is SHA-256 over
 * the canonical JSON of every other member, `prevHash` included, so the events form a chain.
 * `data` never carries raw ID or phone numbers.
 */
export const AuditEvent = z.strictObject({
  /** 1, 2, 3 … — equal to the case version the event produced. */
  seq: z.number().int().min(1),
  at: z.iso.datetime(),
  caseId: z.string(),
  actor: AuditActor,
  /** What happened, e.g. `case.opened`, `fields.updated`, `material.captured`. */
  action: z.string(),
  data: z.record(z.string(), z.unknown()),
  prevHash: Sha256Hex,
  hash: Sha256Hex,
});
/** One audit event of a case. */
export type AuditEvent = z.infer<typeof AuditEvent>;
