import { z } from 'zod';
import { fieldOwner } from '../auth/policy.js';
import { Sha256Hex } from '../audit/AuditEvent.js';
import { CatalogId, DocumentType, ItemCode } from '@rvw/protocol/catalog';
import { Agent, Applicant, Helper, IsoDate, MaterialMime } from '@rvw/protocol/caseRecord';

// Input schemas of the case use cases. The WebSocket/HTTP edge validates with these same schemas;
// the use cases validate again, so no caller can skip it.

/** Largest material (document-camera snapshot, upload) accepted, in bytes. */
export const MAX_MATERIAL_BYTES = 15 * 1024 * 1024;
/** Largest signature PNG accepted, in bytes. */
export const MAX_SIGNATURE_BYTES = 1024 * 1024;

/** Raw bytes: any Uint8Array, Node Buffers included. */
export const Bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message: '应为二进制数据 (Uint8Array)' });

/** A case field name: starts with a letter; letters, digits, `_`, `.` and `-`. */
export { FieldKey, FieldValue } from '@rvw/protocol/primitives';
import { FieldKey, FieldValue } from '@rvw/protocol/primitives';

/** `openCase`: a counter asks the partner region to handle an item for the applicant at the counter. */
export const OpenCaseInput = z.strictObject({
  partnershipId: CatalogId,
  itemCode: ItemCode,
  applicant: Applicant,
  agent: Agent.optional(),
  helper: Helper.optional(),
  // The application form only: nobody holds the case yet, so nobody may state the authority's words.
  fields: z
    .record(FieldKey, FieldValue)
    .refine((f) => Object.keys(f).every((k) => fieldOwner(k) === 'applicant'), { message: '“办理意见”“办理结果”等由受理地工作人员填写，开件时不能填写' })
    .optional(),
  /** The recording notice the applicant agreed to (required while calls are recorded). */
  recordingConsent: z.strictObject({ noticeVersion: z.string().min(1).max(40) }).optional(),
});
/** Input of openCase. */
export type OpenCaseInput = z.input<typeof OpenCaseInput>;

/** `updateCaseFields`: set and/or remove fields, against the version the editor saw. */
export const CaseFieldsPatch = z
  .strictObject({
    expectedVersion: z.number().int().min(1),
    set: z.record(FieldKey, FieldValue).optional(),
    remove: z.array(FieldKey).max(200).optional(),
  })
  .refine((p) => Object.keys(p.set ?? {}).length + (p.remove?.length ?? 0) > 0, { message: '没有要修改的字段' })
  .refine((p) => !(p.remove ?? []).some((k) => p.set && Object.hasOwn(p.set, k)), { message: '同一字段不能同时设置和删除' });
/** Input of updateCaseFields. */
export type CaseFieldsPatch = z.input<typeof CaseFieldsPatch>;

/** States a clerk may move a case to with `transitionCase` (accept and leave have their own use cases). */
export const TransitionTarget = z.enum(['in_session', 'pending_materials', 'suspended', 'completed', 'rejected']);

/** `transitionCase`: move the case; a reason is required for requesting materials, suspending and rejecting. */
export const TransitionInput = z
  .strictObject({
    to: TransitionTarget,
    reason: z.string().trim().min(1).max(500).optional(),
    /** When given, the move applies only to this version (the clerk's view was current). */
    expectedVersion: z.number().int().min(1).optional(),
  })
  .refine((t) => !['pending_materials', 'suspended', 'rejected'].includes(t.to) || t.reason !== undefined, {
    message: '补正材料、挂起和不予受理必须填写原因',
    path: ['reason'],
  });
/** Input of transitionCase. */
export type TransitionInput = z.input<typeof TransitionInput>;

/** `captureMaterial`: a document-camera snapshot or an upload, optionally ticking a checklist line. */
export const CaptureMaterialInput = z.strictObject({
  kind: z.enum(['document_camera', 'upload']),
  bytes: Bytes.refine((b) => b.byteLength > 0, { message: '文件为空' }).refine((b) => b.byteLength <= MAX_MATERIAL_BYTES, {
    message: `文件不能超过 ${MAX_MATERIAL_BYTES / 1024 / 1024} MB`,
  }),
  /** Declared type; checked against the bytes. */
  mime: MaterialMime.optional(),
  name: z.string().trim().min(1).max(80).optional(),
  materialId: z.string().max(40).optional(),
});
/** Input of captureMaterial. */
export type CaptureMaterialInput = z.input<typeof CaptureMaterialInput>;

/** `waiveMaterial` (容缺受理): accept a missing mandatory material with a note and a deadline. */
export const WaiveMaterialInput = z.strictObject({
  materialId: z.string().max(40),
  note: z.string().trim().min(1).max(500),
  deadline: IsoDate,
});
/** Input of waiveMaterial. */
export type WaiveMaterialInput = z.input<typeof WaiveMaterialInput>;

/** `addChat`: one chat line. */
export const ChatInput = z.strictObject({
  text: z.string().trim().min(1).max(1000),
});
/** Input of addChat. */
export type ChatInput = z.input<typeof ChatInput>;

/** `confirmSignature`: the applicant's handwritten signature from the counter's touch screen, as PNG. */
export const SignatureInput = z.strictObject({
  png: Bytes.refine((b) => b.byteLength > 0, { message: '签名为空' }).refine((b) => b.byteLength <= MAX_SIGNATURE_BYTES, {
    message: '签名图片不能超过 1 MB',
  }),
});
/** Input of confirmSignature. */
export type SignatureInput = z.input<typeof SignatureInput>;

/** `rateCase` (好差评): the applicant rates the remote clerk or the local counter service, once each. */
export const RatingInput = z.strictObject({
  target: z.enum(['clerk', 'counter']),
  score: z.number().int().min(1).max(5),
  comment: z.string().trim().max(500).optional(),
});
/** Input of rateCase. */
export type RatingInput = z.input<typeof RatingInput>;

/** `attachDocument`: link a document the document service issued (signed and stored) to the case. */
export const AttachDocumentInput = z.strictObject({
  number: z.string().trim().min(1).max(64),
  type: DocumentType,
  sha256: Sha256Hex,
  signer: z.string().trim().min(1).max(200),
  /** Built from demonstration data. */
  sample: z.boolean().optional(),
});
/** Input of attachDocument. */
export type AttachDocumentInput = z.input<typeof AttachDocumentInput>;
