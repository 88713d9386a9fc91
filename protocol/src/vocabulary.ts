// The shared words of the product: states, document types, levels, media sources and their
// Chinese labels. Plain constants (no zod) so pages import them without bundling any schema;
// the runtime schemas (caseRecord.ts, catalog.ts) are built from these same lists.

/** States of a case; the server's CASE_TRANSITIONS says which moves are legal. */
export const CASE_STATES = ['queued', 'in_session', 'pending_materials', 'suspended', 'completed', 'rejected', 'abandoned'] as const;
/** A state of a case. */
export type CaseState = (typeof CASE_STATES)[number];

/** Chinese labels of the case states, for the UI and error messages. */
export const CASE_STATE_LABELS: Readonly<Record<CaseState, string>> = Object.freeze({
  queued: '排队中',
  in_session: '办理中',
  pending_materials: '待补正材料',
  suspended: '已挂起',
  completed: '已办结',
  rejected: '不予受理',
  abandoned: '已离开队列',
});

/** States after which nothing more is done on a case. */
export const FINAL_CASE_STATES: readonly CaseState[] = Object.freeze(['completed', 'rejected', 'abandoned'] as const);

/** Documents a clerk can issue on a case (each item lists the ones it issues). */
export const DOCUMENT_TYPES = ['receipt', 'missing_notice', 'payment_certificate', 'completion_notice', 'application_form'] as const;
/** A document type. */
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

/** Chinese titles of the document types, in display order. */
export const DOCUMENT_TYPE_LABELS: Readonly<Record<DocumentType, string>> = Object.freeze({
  receipt: '受理回执',
  missing_notice: '容缺受理告知书',
  payment_certificate: '参保缴费证明',
  completion_notice: '办结通知书',
  // Issued for every case whose item has a form (#18), once the applicant has signed it.
  application_form: '申请表',
});

/** 办理层级: the administrative level that handles an item. */
export const SERVICE_LEVELS = ['national', 'provincial', 'municipal', 'county', 'township', 'village'] as const;
/** An administrative handling level. */
export type ServiceLevel = (typeof SERVICE_LEVELS)[number];

/** Chinese labels of the handling levels, in display order. */
export const SERVICE_LEVEL_LABELS: Readonly<Record<ServiceLevel, string>> = Object.freeze({
  national: '国家级',
  provincial: '省级',
  municipal: '市级',
  county: '县级',
  township: '乡镇级',
  village: '村级',
});

/** A produced track's source. */
export const MEDIA_SOURCES = ['mic', 'face', 'document', 'screen'] as const;
/** A produced track's source. */
export type MediaSource = (typeof MEDIA_SOURCES)[number];

/** How a material got into the case. */
export const MATERIAL_KINDS = ['document_camera', 'signature', 'upload'] as const;
/** How a material got into the case. */
export type MaterialKind = (typeof MATERIAL_KINDS)[number];
/** Chinese names of the material kinds. */
export const MATERIAL_KIND_LABELS: Readonly<Record<MaterialKind, string>> = Object.freeze({ document_camera: '高拍仪拍照', signature: '申请人签名', upload: '上传文件' });

/** States of a checklist line. */
export const CHECKLIST_STATUSES = ['missing', 'provided', 'waived'] as const;
/** A checklist line's state. */
export type ChecklistStatus = (typeof CHECKLIST_STATUSES)[number];
/** Chinese names of the checklist states. */
export const CHECKLIST_STATUS_LABELS: Readonly<Record<ChecklistStatus, string>> = Object.freeze({ missing: '未提交', provided: '已提交', waived: '容缺' });

/** Staff roles. */
export const STAFF_ROLES = ['admin', 'clerk'] as const;
/** A staff role. */
export type StaffRole = (typeof STAFF_ROLES)[number];
/** Chinese names of the staff roles. */
export const STAFF_ROLE_LABELS: Readonly<Record<StaffRole, string>> = Object.freeze({ admin: '管理员', clerk: '异地窗口工作人员' });

/** The region code that stands for every region (a provincial administrator). */
export const ANY_REGION = '*';

/** At most this many days in one statistics query (a year and a day: a leap year's range). */
export const STATS_MAX_DAYS = 367;

/** Dimensions the service statistics are broken down by. */
export const STATS_DIMENSIONS = ['partnership', 'item', 'hall', 'counter', 'clerk'] as const;
/** A dimension of the statistics. */
export type StatsDimension = (typeof STATS_DIMENSIONS)[number];
/** Chinese names of the dimensions, in the order the statistics page offers them. */
export const STATS_DIMENSION_LABELS: Readonly<Record<StatsDimension, string>> = Object.freeze({
  partnership: '合作关系',
  item: '事项',
  hall: '大厅',
  counter: '窗口',
  clerk: '受理人员',
});

/**
 * Upper bounds (seconds) of the wait and handling-time buckets. A percentile is reported as the
 * upper bound of the bucket it falls in ("≤ 3 分钟"), exact to that bucket; the last bucket is open.
 */
export const DURATION_BUCKETS_S: readonly number[] = Object.freeze([
  30, 60, 90, 120, 180, 240, 300, 420, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200, 10800, 14400, 28800, 86400,
]);

/** 好差评 levels (国办发〔2019〕51号), 1 非常不满意 … 5 非常满意 (index 0 is level 1). */
export const RATING_LEVEL_LABELS: readonly string[] = Object.freeze(['非常不满意', '不满意', '基本满意', '满意', '非常满意']);

/**
 * What a call carries when its path is poor, best first (#17's ladder): everything; the 高拍仪
 * kept sharp while the faces shrink; the voice with a still of the 高拍仪 each second and no faces;
 * the voice alone. The call runs at the worse of the two sides' measured proposals.
 */
export const CALL_MODES = ['full', 'document_first', 'audio_stills', 'audio'] as const;
/** A call mode. */
export type CallMode = (typeof CALL_MODES)[number];

/** What both screens say about each mode (the badge; `full` shows nothing). */
export const CALL_MODE_LABELS: Readonly<Record<CallMode, string>> = Object.freeze({
  full: '视频通话',
  document_first: '网络较差：优先保证材料画面清晰',
  audio_stills: '网络差：仅语音＋材料静态画面',
  audio: '网络很差：仅语音',
});

/**
 * Kinds of entry on an item's application form (申请表, #18). A value always travels as a string;
 * the kind says how it is entered and checked (date: `YYYY-MM-DD`; number: decimal digits; select:
 * one of the field's options).
 */
export const FORM_FIELD_TYPES = ['text', 'textarea', 'date', 'select', 'number'] as const;
/** A kind of application-form entry. */
export type FormFieldType = (typeof FORM_FIELD_TYPES)[number];

/**
 * Where a form entry comes from when neither side types it: the applicant as the case records
 * them (from the ID card when the counter read it). Such an entry is shown, never edited on the
 * form: it changes only with the case's applicant.
 */
export const FORM_FIELD_SOURCES = ['applicant.name', 'applicant.idNumber', 'applicant.phone'] as const;
/** Where a derived form entry comes from. */
export type FormFieldSource = (typeof FORM_FIELD_SOURCES)[number];

/** The two sides that fill a form on a call. */
export const FORM_SIDES = ['counter', 'clerk'] as const;
/** A side that filled a form entry. */
export type FormSide = (typeof FORM_SIDES)[number];
/** Chinese names of the sides, as a form entry's author is shown. */
export const FORM_SIDE_LABELS: Readonly<Record<FormSide, string>> = Object.freeze({ counter: '申请地窗口', clerk: '受理地工作人员' });

/**
 * How a 代办人 (agent, #18's 帮办代办) stands to the applicant they act for: family members, or
 * anyone the applicant authorised (委托代理人). Each needs the applicant's 授权委托书.
 */
export const AGENT_RELATIONSHIPS = ['配偶', '子女', '父母', '其他近亲属', '委托代理人'] as const;
/** How an agent stands to the applicant. */
export type AgentRelationship = (typeof AGENT_RELATIONSHIPS)[number];
