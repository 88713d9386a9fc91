import { CASE_STATE_LABELS, CHECKLIST_STATUS_LABELS, DOCUMENT_TYPE_LABELS, FINAL_CASE_STATES, MATERIAL_KIND_LABELS, type CaseViewResponse } from '@rvw/protocol';

/** A case view as the server sends it (masked for the viewer): the protocol's type, not a copy. */
export type CaseViewLike = CaseViewResponse;

/** Chinese names of case states. */
export const STATE_LABELS: Readonly<Record<string, string>> = CASE_STATE_LABELS;

/** States after which nothing more is done on a case. */
export const FINAL_STATES: readonly string[] = FINAL_CASE_STATES;

/** Chinese names of material kinds. */
export const MATERIAL_KINDS: Readonly<Record<string, string>> = MATERIAL_KIND_LABELS;

/** Chinese names of document types. */
export const DOC_LABELS: Readonly<Record<string, string>> = DOCUMENT_TYPE_LABELS;

/** Chinese names of checklist states. */
export const MATERIAL_STATUS: Readonly<Record<string, string>> = CHECKLIST_STATUS_LABELS;

/**
 * The newer of two views of a case: a request's answer can be older than a `case.changed` that
 * overtook it (the accept's answer after the recorder's `recording.started`), and must not undo it.
 */
export function newerView(current: CaseViewLike | undefined, incoming: CaseViewLike): CaseViewLike {
  return current !== undefined && current.id === incoming.id && current.version > incoming.version ? current : incoming;
}
