import { z } from 'zod';
import { CASE_NUMBER_PATTERN } from './primitives.js';
import { CASE_STATES, STATS_MAX_DAYS, type CaseState, type ChecklistStatus, type DocumentType, type MaterialKind } from './vocabulary.js';

// The case archive (办件档案) as the administrator's page and the node see it: the search query,
// its result lines, and the case page. Only what an administrator may see travels: applicant
// names masked in lists, ID and phone numbers masked everywhere, no material bytes, no chat
// unless the policy allows it, audit events as readable rows (never their raw data, which carries
// chat text and field values).

/** A calendar day in Asia/Shanghai, `YYYY-MM-DD`. */
const Day = z.iso.date();
const Id = z.string().trim().min(1).max(64);

/** At most this many result lines in one answer. */
export const ARCHIVE_PAGE_MAX = 100;

/**
 * `GET /api/admin/cases` query. A case number (办件编号) finds exactly that case and ignores the
 * other conditions; otherwise a date range (both days or neither) and filters, newest first,
 * continued from `cursor` (the previous answer's `nextCursor`).
 */
export const ArchiveSearchInput = z
  .strictObject({
    number: z.string().trim().max(40).regex(CASE_NUMBER_PATTERN, '办件编号格式应为“地区代码-日期-序号”，如 341522-20261205-0001').optional(),
    from: Day.optional(),
    to: Day.optional(),
    state: z.enum(CASE_STATES).optional(),
    itemCode: Id.optional(),
    hallId: Id.optional(),
    clerkId: Id.optional(),
    partnershipId: Id.optional(),
    cursor: z.string().regex(/^\d{1,15}:[\w-]{1,128}$/, '翻页位置无效，请重新查询').optional(),
    limit: z.coerce.number().int().min(1).max(ARCHIVE_PAGE_MAX).default(20),
  })
  .refine((q) => (q.from === undefined) === (q.to === undefined), { message: '请同时选择开始日期和结束日期', path: ['from'] })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: '开始日期不能晚于结束日期', path: ['from'] })
  .refine((q) => !q.from || !q.to || (Date.parse(q.to) - Date.parse(q.from)) / 86_400_000 < STATS_MAX_DAYS, { message: `查询范围不能超过 ${STATS_MAX_DAYS} 天`, path: ['to'] });
/** An archive search as the page sends it. */
export type ArchiveSearchInput = z.input<typeof ArchiveSearchInput>;

/** One line of the results: no ID or phone number, the applicant's name masked. */
export interface ArchiveCaseLine {
  id: string;
  number: string | null;
  state: CaseState;
  itemCode: string;
  itemName: string;
  partnershipId: string;
  hallId: string;
  hallName: string;
  /** Masked, e.g. 陈**. */
  applicantName: string;
  clerkId: string | null;
  clerkName: string | null;
  createdAt: string;
  acceptedAt: string | null;
  closedAt: string | null;
}

/** An answer of the search: a page of lines and where the next one starts (null: nothing more). */
export interface ArchiveSearchPage {
  cases: ArchiveCaseLine[];
  nextCursor: string | null;
}

/** What the search form offers to choose from: only what this administrator may search. */
export interface ArchiveFilters {
  partnerships: { id: string; name: string }[];
  items: { code: string; name: string }[];
  halls: { id: string; name: string }[];
  clerks: { id: string; name: string }[];
}

/** Why an audit chain does not verify (signaling/src/audit/verifyAuditChain.ts). */
export type AuditBreak = 'SEQ_MISMATCH' | 'PREV_HASH_MISMATCH' | 'HASH_MISMATCH' | 'TRUNCATED' | 'HEAD_MISMATCH' | 'CASE_MISMATCH';

/** One event of the audit chain as a person reads it. */
export interface AuditRow {
  seq: number;
  at: string;
  /** 操作人: a name (staff, counter), or 系统. */
  actor: string;
  /** The actor's role as words (受理人员, 申请地窗口, 管理员, 系统). */
  actorRole: string;
  /** The machine name, e.g. `case.accepted`. */
  action: string;
  /** 操作, e.g. 受理. */
  label: string;
  /** A short, safe description (a material's name, a document number, a reason); '' when none. */
  detail: string;
  /** The first 12 hex digits of the event's hash, for reference. */
  hash: string;
}

/** A case's conversation as the archive's case page reads it on request (`GET /api/admin/cases/:caseId/chat`). */
export interface ArchiveChat {
  lines: { at: string; role: 'counter' | 'clerk' | 'system'; text: string }[];
}

/** The case page (`GET /api/admin/cases/:caseId`). */
export interface ArchiveCaseDetail {
  case: {
    id: string;
    number: string | null;
    state: CaseState;
    itemCode: string;
    itemName: string;
    partnershipName: string;
    servingRegionName: string;
    applicantRegionName: string;
    hallName: string;
    counterName: string;
    clerkName: string | null;
    /** As toCaseView gives it to this administrator: ID and phone numbers masked. */
    applicant: { name: string; idNumber: string; phone: string | null };
    createdAt: string;
    acceptedAt: string | null;
    closedAt: string | null;
    /** 办结说明 / 不予受理理由. */
    closeReason: string | null;
    /** The latest reason of a suspension or request for materials. */
    stateReason: string | null;
    /** The application form and the authority's entries (办理意见、办理结果). */
    fields: { key: string; value: string }[];
  };
  checklist: { materialId: string; name: string; mandatory: boolean; status: ChecklistStatus; waiver: { note: string; deadline: string; at: string } | null }[];
  /** Each material listed; `viewUrl` opens its bytes (each opening recorded in the audit chain), null when this administrator may not. */
  materials: { name: string; kind: MaterialKind; mime: string; size: number; capturedAt: string; capturedBy: string; viewUrl: string | null }[];
  /** Whether this administrator may open the materials (`archive.material.read`: the serving region's administrators). */
  materialsViewable: boolean;
  signed: boolean;
  documents: { number: string; type: DocumentType; signer: string; issuedAt: string; issuedBy: string; sample: boolean; printed: number; verifyUrl: string | null }[];
  ratings: { target: 'clerk' | 'counter'; score: number; comment: string | null; at: string; followUp: { text: string; by: string; at: string } | null }[];
  /** The chat, when the policy lets this administrator read it (`chat.read`); null otherwise. */
  chat: { at: string; role: 'counter' | 'clerk' | 'system'; text: string }[] | null;
  /** Where this administrator reads the chat, each reading recorded in the audit chain (`archive.chat.read`); null when not. */
  chatUrl: string | null;
  audit: { rows: AuditRow[]; verdict: { ok: true; count: number } | { ok: false; at: number; reason: AuditBreak } };
  /** Links allowed to this administrator (`recording.view`, `evidence.export`); null when not. */
  links: { recording: string | null; evidence: string | null };
}
