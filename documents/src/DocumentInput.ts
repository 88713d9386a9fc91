import type { DocumentType } from '@rvw/protocol';
import { z } from 'zod';

/** Printable text: trimmed, non-empty, bounded so a template can always lay it out. */
const text = (max: number) => z.string().trim().min(1).max(max);
/** Calendar date as printed (China local date), `YYYY-MM-DD`. */
const isoDate = z.iso.date();
/** Calendar month, `YYYY-MM`. */
const yearMonth = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected YYYY-MM');
/** Yuan amount; printed with two decimals. */
const money = z.number().finite().nonnegative().max(1e9);

/**
 * A masked ID number as printed, e.g. `3415**********1234`: at most 8 characters revealed, at
 * least 4 masked. The document service never accepts (so never prints or stores) a whole ID number.
 */
const maskedIdNumber = z
  .string()
  .regex(/^[0-9A-Za-z]{0,6}\*{4,18}[0-9A-Za-z]{0,4}$/, 'the ID number must be masked, e.g. 3415**********1234');

const common = {
  /** Document number; allocated by the store (RVW-<region>-<yyyymmdd>-<seq>) when omitted. */
  number: z.string().regex(/^[A-Z0-9][A-Z0-9-]{5,63}$/).optional(),
  caseId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  /** The case's human number (办件编号, e.g. 341522-20261204-0007), printed instead of the internal id. */
  caseNumber: z.string().regex(/^\d{6}-\d{8}-\d{4,}$/).optional(),
  /**
   * Built from demonstration data (e.g. the demo social-insurance stand-in): the document carries
   * a 样本 / 演示数据 watermark on every page and /verify says so.
   */
  sample: z.boolean().default(false),
  /** The issuing (remote) region: its key signs the document. */
  region: z.object({ code: z.string().regex(/^\d{6}$/), name: text(40) }),
  /** Issuing authority printed under the text and on the seal, e.g. 霍邱县社会保险事业管理中心. */
  authority: text(30),
  applicant: z.object({ name: text(40), idNumberMasked: maskedIdNumber }),
  /** 代办人: who acted for the applicant (帮办代办), named on every document of the case. */
  agent: z.object({ name: text(40), idNumberMasked: maskedIdNumber, relationship: text(10) }).optional(),
  /** 帮办员: the counter's staff member who helped on site. */
  helper: z.object({ name: text(20) }).optional(),
  item: z.object({ code: text(64), name: text(80) }),
  /** The clerk issuing the document; only they may approve a reprint. */
  clerk: z.object({ staffId: text(64), name: text(40) }),
  /** Extra label/value lines a service item wants printed. */
  fields: z.array(z.object({ label: text(20), value: text(200) })).max(12).default([]),
  remarks: text(500).optional(),
};

const ReceiptInput = z.object({
  ...common,
  type: z.literal('receipt'),
  acceptedOn: isoDate,
  /** Statutory/committed time limit in working days (承诺时限). */
  promisedDays: z.number().int().min(1).max(365).optional(),
  /** Materials received (收件材料). */
  materials: z.array(text(80)).max(30).default([]),
});

const MissingNoticeInput = z
  .object({
    ...common,
    type: z.literal('missing_notice'),
    acceptedOn: isoDate,
    deadline: isoDate,
    /** Waived (容缺) materials, each with the clerk's note. */
    missing: z.array(z.object({ name: text(80), note: text(120).optional(), deadline: isoDate.optional() })).min(1).max(20),
    /** Materials of the checklist already submitted. */
    submitted: z.array(text(80)).max(30).default([]),
    /** Mandatory materials neither submitted nor waived: the notice must not claim completeness. */
    stillMissing: z.array(text(80)).max(30).default([]),
  })
  .refine((v) => v.deadline >= v.acceptedOn, { path: ['deadline'], message: 'deadline must not be before acceptedOn' });

const PaymentRow = z
  .object({
    from: yearMonth,
    to: yearMonth,
    /** 缴费基数 (monthly contribution base). */
    base: money,
    /** 单位缴费 per month. */
    employerAmount: money,
    /** 个人缴费 per month. */
    personalAmount: money,
    /** 缴费单位; the certificate-level employer when omitted. */
    payer: text(60).optional(),
  })
  .refine((r) => r.from <= r.to, { path: ['to'], message: 'to must not be before from' });

const PaymentCertificateInput = z.object({
  ...common,
  type: z.literal('payment_certificate'),
  /** e.g. 企业职工基本养老保险 */
  insuranceType: text(40),
  employer: text(60).optional(),
  rows: z.array(PaymentRow).min(1).max(240),
});

const CompletionNoticeInput = z
  .object({
    ...common,
    type: z.literal('completion_notice'),
    acceptedOn: isoDate,
    completedOn: isoDate,
    /** 办理结果 */
    result: text(300),
    /** 领取方式 / how the result reaches the applicant. */
    delivery: text(200).optional(),
  })
  .refine((v) => v.completedOn >= v.acceptedOn, { path: ['completedOn'], message: 'completedOn must not be before acceptedOn' });

const ApplicationFormInput = z.object({
  ...common,
  type: z.literal('application_form'),
  /** The entries of the item's form in its order, as filled on the call (an empty value prints as not filled). */
  entries: z
    .array(z.object({ label: text(40), value: z.string().trim().max(1000), required: z.boolean(), confirm: z.boolean() }))
    .min(1)
    .max(40),
  /** The applicant's signature that confirms the form: when, where, and the digest of the stored image. */
  confirmation: z.object({
    signedAt: z.iso.datetime(),
    counterName: text(80),
    signatureSha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** With an agent: the digest of the applicant's signed 授权委托书 kept in the case (their consent). */
    consentSha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  }),
});

/** Validates what a clerk asks the document service to issue; independent of the case store. */
export const DocumentInputSchema = z.discriminatedUnion('type', [
  ReceiptInput,
  MissingNoticeInput,
  PaymentCertificateInput,
  CompletionNoticeInput,
  ApplicationFormInput,
]);

/** A validated issue request (output of {@link DocumentInputSchema}). */
export type DocumentInput = z.output<typeof DocumentInputSchema>;
/** What callers may pass before defaults are applied. */
export type DocumentInputData = z.input<typeof DocumentInputSchema>;
/** Document types declared by service items: the protocol's vocabulary, one schema variant each. */
export type { DocumentType };

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Compiles only while the schema has exactly one variant per protocol document type. */
export const SCHEMA_COVERS_DOCUMENT_TYPES: Same<DocumentInput['type'], DocumentType> = true;
/** One row of a 参保缴费证明. */
export type PaymentRowInput = z.output<typeof PaymentRow>;
