import { CASE_STATE_LABELS, CHECKLIST_STATUS_LABELS, DOCUMENT_TYPE_LABELS, FINAL_CASE_STATES, MATERIAL_KIND_LABELS } from '@rvw/protocol';
/** The parts of a case view (as the server sends it, masked for the viewer) that pages render. */
export interface CaseViewLike {
  id: string;
  /** Human case number (办件编号), e.g. 341522-20261204-0007; shown instead of `id`. */
  number?: string;
  version: number;
  state: string;
  itemCode: string;
  itemName: string;
  servingRegion: string;
  applicantRegion: string;
  applicant: { name: string; idNumber: string; phone?: string };
  fields: Record<string, string>;
  checklist: { materialId: string; name: string; mandatory: boolean; status: 'missing' | 'provided' | 'waived'; blobSha256?: string; waiver?: { note: string; deadline: string } }[];
  materials: { sha256: string; kind: string; mime: string; name: string; materialId?: string; capturedAt: string }[];
  documents: { number: string; type: string; sha256: string; issuedAt: string; sample?: boolean; printLog?: { event: string; at: string; outcome?: string }[] }[];
  chat: { at: string; by: string; role: string; text: string }[];
  ratings?: { clerk?: { score: number }; counter?: { score: number } };
  createdAt: string;
  queue?: { position: number; estimatedWaitSeconds: number };
  applicantSignatureSha256?: string;
}

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
