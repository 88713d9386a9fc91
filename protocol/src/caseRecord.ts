import { z } from 'zod';
import { DocumentType, FormField, ItemCode, RegionCode } from './catalog.js';
import { isValidIdNumber } from './isValidIdNumber.js';
import { AGENT_RELATIONSHIPS, CALL_MODES, CASE_STATE_LABELS, CASE_STATES, CHECKLIST_STATUSES, FORM_SIDES, MATERIAL_KINDS, type FormSide } from './vocabulary.js';
import { CASE_NUMBER_PATTERN, Sha256Hex } from './primitives.js';

/** States of a case (labels: CASE_STATE_LABELS in vocabulary.ts). */
export const CaseState = z.enum(CASE_STATES);
/** A state of a case. */
export type CaseState = z.infer<typeof CaseState>;
export { CASE_STATE_LABELS };

/** A resident ID number (GB 11643, 18 characters, check character verified; a lower-case x is accepted). */
export const IdNumber = z
  .string()
  .trim()
  .transform((s) => s.toUpperCase())
  .refine(isValidIdNumber, { message: '居民身份证号码格式或校验位不正确' });

/** A mainland mobile number or a landline with area code. */
export const PhoneNumber = z
  .string()
  .trim()
  .regex(/^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$/, '电话号码格式不正确');

/** What the clerk found comparing the person at the counter with their ID card's chip photo. */
export const IDENTITY_RESULTS = ['match', 'mismatch'] as const;
/** 人证核验's result. */
export type IdentityResult = (typeof IDENTITY_RESULTS)[number];

/** The applicant (办事人) as recorded on the case; stored whole, shown masked (toCaseView). */
export const Applicant = z.strictObject({
  name: z.string().trim().min(1).max(50),
  idNumber: IdNumber,
  phone: PhoneNumber.optional(),
});
/** The applicant of a case. */
export type Applicant = z.infer<typeof Applicant>;

/**
 * 代办人 (帮办代办, #18): the person at the counter acting for the applicant — a relative or someone
 * the applicant authorised. Stored whole, shown masked as the applicant is (toCaseView); their ID
 * card and the applicant's 授权委托书 become mandatory materials of the case.
 */
export const Agent = z.strictObject({
  name: z.string().trim().min(1).max(50),
  idNumber: IdNumber,
  relationship: z.enum(AGENT_RELATIONSHIPS),
  phone: PhoneNumber.optional(),
});
/** The agent of a case. */
export type Agent = z.infer<typeof Agent>;

/** 帮办员: the counter's own staff member who helps the applicant on site, named on the case. */
export const Helper = z.strictObject({ name: z.string().trim().min(1).max(20) });
/** The on-site helper of a case. */
export type Helper = z.infer<typeof Helper>;

/** ISO date `YYYY-MM-DD`. */
export const IsoDate = z.iso.date();

/** 容缺受理: a mandatory material accepted as missing, to be supplied by the deadline. */
export const MaterialWaiver = z.strictObject({
  note: z.string().trim().min(1).max(500),
  /** Last day to supply the material, `YYYY-MM-DD` (Asia/Shanghai). */
  deadline: IsoDate,
  by: z.string(),
  at: z.iso.datetime(),
});
/** A 容缺 waiver. */
export type MaterialWaiver = z.infer<typeof MaterialWaiver>;

/** One line of the case's material checklist, copied from the item's 申请材料 at opening. */
export const ChecklistItem = z.strictObject({
  materialId: z.string(),
  name: z.string(),
  mandatory: z.boolean(),
  status: z.enum(CHECKLIST_STATUSES),
  /** The captured material that satisfies this line. */
  blobSha256: Sha256Hex.optional(),
  waiver: MaterialWaiver.optional(),
});
/** A checklist line. */
export type ChecklistItem = z.infer<typeof ChecklistItem>;

/** How a material got into the case. */
export const MaterialKind = z.enum(MATERIAL_KINDS);
/** How a material got into the case. */
export type MaterialKind = z.infer<typeof MaterialKind>;

/** Media types accepted for materials (sniffed from the bytes, not trusted from the client). */
export const MaterialMime = z.enum(['image/jpeg', 'image/png', 'image/webp', 'application/pdf']);
/** An accepted material media type. */
export type MaterialMime = z.infer<typeof MaterialMime>;

/** Writes counted per side of a case, each side capped on its own. */
export const SideCounts = z.strictObject({ counter: z.number().int().min(0), clerk: z.number().int().min(0) });
/** Writes counted per side of a case. */
export type SideCounts = z.infer<typeof SideCounts>;

/** A stored material: a document-camera snapshot, an upload or the applicant's signature (bytes in BlobStore). */
export const CaseMaterial = z.strictObject({
  sha256: Sha256Hex,
  kind: MaterialKind,
  mime: MaterialMime,
  size: z.number().int().min(1),
  name: z.string(),
  materialId: z.string().optional(),
  capturedAt: z.iso.datetime(),
  /** Staff id or counter id of who captured it. */
  capturedBy: z.string(),
  /** Which side captured it (each side's materials are counted apart). Absent on records stored before. */
  side: z.enum(FORM_SIDES).optional(),
});
/** A stored material of a case. */
export type CaseMaterial = z.infer<typeof CaseMaterial>;

/** A document issued on the case by the document service (signed PDF, stored by its sha256). */
export const CaseDocument = z.strictObject({
  /** Document number (文书编号), unique within the case. */
  number: z.string().trim().min(1).max(64),
  type: DocumentType,
  sha256: Sha256Hex,
  issuedAt: z.iso.datetime(),
  /** Staff id of the clerk who issued it. */
  issuedBy: z.string(),
  /** Signer (e.g. the certificate subject of the region's signing key). */
  signer: z.string().trim().min(1).max(200),
  /** Built from demonstration data (watermarked 样本 / 演示数据; /verify says so). */
  sample: z.boolean().optional(),
  /** What happened to its printing at the counter (出件), newest last. */
  printLog: z
    .array(
      z.strictObject({
        event: z.enum(['print_token_issued', 'printed', 'print_reported', 'reprint_approved']),
        at: z.iso.datetime(),
        by: z.string(),
        outcome: z.enum(['success', 'failure']).optional(),
      }),
    )
    .max(100)
    .optional(),
});
/** A document issued on the case. */
export type CaseDocument = z.infer<typeof CaseDocument>;

/** One chat line between the counter and the clerk. */
export const ChatLine = z.strictObject({
  at: z.iso.datetime(),
  by: z.string(),
  role: z.enum(['counter', 'clerk', 'system']),
  text: z.string(),
});
/** One chat line. */
export type ChatLine = z.infer<typeof ChatLine>;

/** A 好差评 rating, 1 (very dissatisfied) to 5 (very satisfied). */
export const Rating = z.strictObject({
  score: z.number().int().min(1).max(5),
  comment: z.string().optional(),
  at: z.iso.datetime(),
  /** For a 差评 (level 1–2): what the rated side's administrator did about it (整改情况). */
  followUp: z.strictObject({ text: z.string(), by: z.string(), at: z.iso.datetime() }).optional(),
});
/** A rating. */
export type Rating = z.infer<typeof Rating>;

/**
 * One filled entry of the application form: its value, and who wrote it when. `rev` counts the
 * writes of this entry (1 for the first): a write names the rev it saw, so two sides editing the
 * same entry never overwrite each other unseen, while edits of different entries never collide.
 */
export const FormValue = z.strictObject({
  value: z.string().max(2000),
  rev: z.number().int().min(1),
  side: z.enum(FORM_SIDES),
  /** Staff id or counter id of the writer. */
  by: z.string(),
  /** The writer as people call them (the clerk's name, the counter's id). */
  byName: z.string(),
  at: z.iso.datetime(),
});
/** One filled entry of the application form. */
export type FormValue = z.infer<typeof FormValue>;

/**
 * The case's application form (申请表, #18): the item's form as it was when the case opened (an
 * administrator's later edit does not move the entries under a call) and what has been filled.
 */
export const ApplicationForm = z.strictObject({
  fields: z.array(FormField),
  values: z.record(z.string(), FormValue),
  /** Writes stored so far (each is an audit event). */
  changes: z.number().int().min(0),
  /**
   * The same writes counted per side, each side capped on its own: one side saving without end
   * must not use up the other's writes. Absent on records stored before the per-side count.
   */
  changesBySide: SideCounts.optional(),
  /**
   * The applicant's signature at the counter confirmed the form as it stood after `changes`
   * writes; a later write leaves the form unconfirmed until the applicant signs again.
   */
  confirmed: z.strictObject({ changes: z.number().int().min(0), signatureSha256: Sha256Hex, at: z.iso.datetime() }).optional(),
});
/** The application form of a case. */
export type ApplicationForm = z.infer<typeof ApplicationForm>;

/**
 * The shared case record (`case:{id}` in Redis). Every change bumps `version` by one and appends
 * one audit event whose seq equals the new version and whose hash becomes `lastEventHash`.
 */
export const CaseRecord = z.strictObject({
  id: z.string(),
  /**
   * Human case number (办件编号), `<serving region>-<YYYYMMDD>-<seq>`, shown on screens and printed
   * on documents; `id` stays internal. Absent only on records opened before numbers existed.
   */
  number: z.string().regex(CASE_NUMBER_PATTERN).optional(),
  version: z.number().int().min(1),
  state: CaseState,
  partnershipId: z.string(),
  itemCode: ItemCode,
  itemName: z.string(),
  servingRegion: RegionCode,
  applicantRegion: RegionCode,
  hallId: z.string(),
  counterId: z.string(),
  applicant: Applicant,
  /** 代办人: someone acting for the applicant at the counter (absent: the applicant in person). */
  agent: Agent.optional(),
  /** 帮办员: the counter's staff member helping on site, as the counter named them. */
  helper: Helper.optional(),
  /** Free-form case fields (申请表 entries), editable by both sides under version CAS. */
  fields: z.record(z.string(), z.string()),
  checklist: z.array(ChecklistItem),
  materials: z.array(CaseMaterial),
  documents: z.array(CaseDocument),
  chat: z.array(ChatLine),
  ratings: z.strictObject({ clerk: Rating.optional(), counter: Rating.optional() }),
  clerkId: z.string().optional(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  acceptedAt: z.iso.datetime().optional(),
  closedAt: z.iso.datetime().optional(),
  closeReason: z.string().optional(),
  /** The latest state reason (suspension, request for materials …); cleared when the case resumes. */
  stateReason: z.string().optional(),
  applicantSignatureSha256: Sha256Hex.optional(),
  /**
   * The applicant agreed, at the counter and before anything of them was sent, to the recording
   * notice of this version; the serving node records only a case that carries it.
   */
  recordingConsent: z.strictObject({ noticeVersion: z.string(), at: z.iso.datetime(), retentionDays: z.number().int().positive() }).optional(),
  /** The recording of the case's call, as the recording node last reported it (both pages show 录制中 from it). */
  recording: z.strictObject({ state: z.enum(['recording', 'interrupted', 'stopped']), since: z.iso.datetime(), nodeId: z.string() }).optional(),
  /**
   * The call's media mode (#17's ladder): each side's latest proposal from its own measurements
   * and the mode the call runs at, the worse of the two; `changes` counts the proposals stored per side
   * (capped: each is an audit event). Absent: never degraded.
   */
  media: z.strictObject({ mode: z.enum(CALL_MODES), counter: z.enum(CALL_MODES), clerk: z.enum(CALL_MODES), since: z.iso.datetime(), changes: SideCounts }).optional(),
  /**
   * 人证核验 (#18): the applicant's ID card read at the counter (when, by which counter; `sample`
   * when a test reader produced it) and the clerk's finding, with who decided. The chip photo is
   * not part of the record: it is kept beside it (`case:{id}:chip`) and deleted when the case closes.
   */
  identity: z
    .strictObject({
      card: z.strictObject({ readAt: z.iso.datetime(), counterId: z.string(), sample: z.boolean() }),
      verdict: z.strictObject({ result: z.enum(IDENTITY_RESULTS), at: z.iso.datetime(), by: z.string(), byName: z.string() }).optional(),
      /** Readings and findings stored so far (each is an audit event). */
      changes: z.number().int().min(1),
      /**
       * The same counted per side (the counter's readings, the clerk's findings), each side capped
       * on its own. Absent on records stored before the per-side count.
       */
      changesBySide: SideCounts.optional(),
    })
    .optional(),
  /** The application form (申请表) of the item, filled on the call by both sides. Absent: the item has none. */
  form: ApplicationForm.optional(),
  /** The latest 转办: who handed the case to whom, with the note for the new holder (also in the audit chain). */
  lastTransfer: z.strictObject({ from: z.string(), fromName: z.string(), to: z.string(), note: z.string(), at: z.iso.datetime() }).optional(),
  /** Hash of the newest audit event; ties the record to the head of its chain. */
  lastEventHash: Sha256Hex,
});
/** The shared case record. */
export type CaseRecord = z.infer<typeof CaseRecord>;

/**
 * Bounds that keep one record small enough to rewrite on every change (a few hundred KB at most).
 * Chat lines and materials are counted per side (`…PerSide`), free fields per owner (the
 * applicant's, the authority's): one side filling its share cannot stop the other writing.
 */
export const CASE_LIMITS = Object.freeze({ fieldsPerOwner: 100, chatLinesPerSide: 250, materialsPerSide: 60, documents: 50 });

/** The side that captured a material (records stored before `side` tell it by who captured it). */
export function materialSide(record: Pick<CaseRecord, 'counterId'>, material: CaseMaterial): FormSide {
  return material.side ?? (material.capturedBy === record.counterId ? 'counter' : 'clerk');
}
