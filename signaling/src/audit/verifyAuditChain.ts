import { GENESIS_HASH, type AuditEvent } from './AuditEvent.js';
import { hashAuditEvent } from './hashAuditEvent.js';

/** The verdict on an audit chain: intact, or the first seq where it breaks and why. */
export type AuditVerdict =
  | { ok: true; count: number }
  | { ok: false; at: number; reason: 'SEQ_MISMATCH' | 'PREV_HASH_MISMATCH' | 'HASH_MISMATCH' | 'TRUNCATED' | 'HEAD_MISMATCH' | 'CASE_MISMATCH' };

/**
 * Verifies a case's audit events in stream order: seq runs 1, 2, 3 …, each event links to its
 * predecessor's hash, each hash matches the event's content. With `head` (the record's version and
 * lastEventHash) it also detects a chain cut short at the end, which links alone cannot.
 * Catches an edited, removed, inserted or reordered event.
 */
export function verifyAuditChain(events: readonly AuditEvent[], head?: { caseId: string; version: number; lastEventHash: string }): AuditVerdict {
  let prevHash = GENESIS_HASH;
  for (const [i, event] of events.entries()) {
    const expectedSeq = i + 1;
    if (event.seq !== expectedSeq) return { ok: false, at: expectedSeq, reason: 'SEQ_MISMATCH' };
    if (head && event.caseId !== head.caseId) return { ok: false, at: expectedSeq, reason: 'CASE_MISMATCH' };
    if (event.prevHash !== prevHash) return { ok: false, at: expectedSeq, reason: 'PREV_HASH_MISMATCH' };
    if (hashAuditEvent(event) !== event.hash) return { ok: false, at: expectedSeq, reason: 'HASH_MISMATCH' };
    prevHash = event.hash;
  }
  if (head) {
    if (events.length < head.version) return { ok: false, at: events.length + 1, reason: 'TRUNCATED' };
    // Events beyond the record's version, or a last event other than the one the record names.
    if (events.length > head.version) return { ok: false, at: head.version + 1, reason: 'HEAD_MISMATCH' };
    if (prevHash !== head.lastEventHash) return { ok: false, at: head.version, reason: 'HEAD_MISMATCH' };
  }
  return { ok: true, count: events.length };
}
