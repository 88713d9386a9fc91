import { z } from 'zod';
import { DOCUMENT_TYPES, FORM_FIELD_SOURCES, FORM_FIELD_TYPES, SERVICE_LEVEL_LABELS, SERVICE_LEVELS } from './vocabulary.js';

/** Catalogue ids chosen by administrators (halls, counters, partnerships): short, URL- and key-safe. */
export const CatalogId = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, '只能包含小写字母、数字和连字符，2–63 个字符');

/** A 6-digit administrative division code (GB/T 2260), e.g. 320509 for 苏州市吴江区. */
export const RegionCode = z.string().regex(/^[1-9]\d{5}$/, '行政区划代码应为 6 位数字');

/** 事项编码: the standard service item code (upper-case letters and digits, as in 国家政务服务平台). */
export const ItemCode = z.string().regex(/^[0-9A-Z]{6,40}$/, '事项编码应为 6–40 位大写字母或数字');

/** A region of the catalogue: an administrative division that runs or uses 跨域通办 windows. */
export const Region = z.strictObject({
  code: RegionCode,
  name: z.string().trim().min(2).max(40),
  province: z.string().trim().min(2).max(20),
});
/** A region of the catalogue. */
export type Region = z.infer<typeof Region>;

/** A service hall (政务服务中心) in a region. */
export const Hall = z.strictObject({
  id: CatalogId,
  regionCode: RegionCode,
  name: z.string().trim().min(2).max(80),
  address: z.string().trim().min(2).max(200),
});
/** A service hall. */
export type Hall = z.infer<typeof Hall>;

/** The catalogue record of a counter terminal (跨域通办窗口); its device credential lives in auth/. */
export const Counter = z.strictObject({
  id: CatalogId,
  hallId: CatalogId,
  name: z.string().trim().min(1).max(80),
});
/** A counter terminal's catalogue record. */
export type Counter = z.infer<typeof Counter>;

/** Kinds of document a service item may issue; the document service renders one template per kind. */
export const DocumentType = z.enum(DOCUMENT_TYPES);
/** A kind of issued document. */
export type DocumentType = z.infer<typeof DocumentType>;

/** 办理层级: the administrative level that handles an item (labels in SERVICE_LEVEL_LABELS). */
export const ServiceLevel = z.enum(SERVICE_LEVELS);
/** An administrative handling level. */
export type ServiceLevel = z.infer<typeof ServiceLevel>;

export { SERVICE_LEVEL_LABELS };

/** One required material (申请材料) of a service item; becomes a checklist line of every case. */
export const MaterialRequirement = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/),
  name: z.string().trim().min(1).max(80),
  mandatory: z.boolean(),
  description: z.string().trim().max(500).default(''),
});
/** A required material of a service item. */
export type MaterialRequirement = z.infer<typeof MaterialRequirement>;

/** An application-form entry's key: stable, short, safe in a record and a DOM id. */
export const FormKey = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, '表单项编号只能包含小写字母、数字和下划线，以字母开头，至多 40 个字符');

/**
 * One entry of an item's application form (申请表, #18). `source` makes it derived (shown from the
 * case's applicant, never typed); otherwise either side of the call may fill it. `confirm`: the
 * applicant confirms it by signing (the signed 申请表 lists it as confirmed).
 */
export const FormField = z
  .strictObject({
    key: FormKey,
    label: z.string().trim().min(1).max(40),
    type: z.enum(FORM_FIELD_TYPES),
    required: z.boolean().default(false),
    /** The choices of a `select`, in display order. */
    options: z.array(z.string().trim().min(1).max(40)).max(30).optional(),
    /** Longest value (characters); text 100 and textarea 1000 unless set. */
    maxLength: z.number().int().min(1).max(2000).optional(),
    source: z.enum(FORM_FIELD_SOURCES).optional(),
    confirm: z.boolean().default(false),
    /** A line under the entry telling the person what to write. */
    hint: z.string().trim().max(100).optional(),
  })
  .refine((f) => f.type !== 'select' || (f.options !== undefined && f.options.length >= 1 && new Set(f.options).size === f.options.length), {
    message: '下拉选择项须列出不重复的选项',
    path: ['options'],
  })
  .refine((f) => f.type === 'select' || f.options === undefined, { message: '只有下拉选择项可以有选项', path: ['options'] });
/** One entry of an application form. */
export type FormField = z.infer<typeof FormField>;

/** The most entries one form has (each is a line of the signed 申请表). */
export const MAX_FORM_FIELDS = 40;

/** A standardised service item (政务服务事项): same name, code, basis and materials everywhere. */
export const ServiceItem = z
  .strictObject({
    code: ItemCode,
    name: z.string().trim().min(2).max(80),
    legalBasis: z.string().trim().min(2).max(2000),
    level: ServiceLevel,
    materials: z.array(MaterialRequirement).max(50),
    /** 法定办结时限, working days; 0 means 即办件. */
    statutoryDays: z.number().int().min(0).max(365),
    /** 承诺办结时限, working days; never longer than the statutory limit. */
    promisedDays: z.number().int().min(0).max(365),
    issuedDocuments: z.array(DocumentType).max(4),
    /** The application form (申请表) filled on the call; empty: the item has none. */
    form: z.array(FormField).max(MAX_FORM_FIELDS).default([]),
  })
  .refine((i) => i.promisedDays <= i.statutoryDays, { message: '承诺办结时限不得超过法定办结时限', path: ['promisedDays'] })
  .refine((i) => new Set(i.materials.map((m) => m.id)).size === i.materials.length, { message: '材料编号重复', path: ['materials'] })
  .refine((i) => new Set(i.issuedDocuments).size === i.issuedDocuments.length, { message: '出具文书类型重复', path: ['issuedDocuments'] })
  .refine((i) => new Set(i.form.map((f) => f.key)).size === i.form.length, { message: '表单项编号重复', path: ['form'] });
/** A standardised service item. */
export type ServiceItem = z.infer<typeof ServiceItem>;

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, '时间格式应为 HH:MM');

/** Service hours of a partnership, in China Standard Time (no DST, so a fixed UTC+8). */
export const ServiceHours = z.strictObject({
  timezone: z.literal('Asia/Shanghai').default('Asia/Shanghai'),
  /** ISO weekdays, 1 = Monday … 7 = Sunday. */
  weekdays: z.array(z.number().int().min(1).max(7)).min(1).max(7),
  /** Opening windows within a day, e.g. 09:00–12:00 and 13:30–17:30; end is exclusive. */
  windows: z
    .array(z.strictObject({ start: HHMM, end: HHMM }).refine((w) => w.start < w.end, { message: '结束时间须晚于开始时间' }))
    .min(1)
    .max(6),
});
/** Service hours of a partnership. */
export type ServiceHours = z.infer<typeof ServiceHours>;

/** What one side serves for the other: clerks of servingRegion handle these items for applicants of applicantRegion. */
export const PartnershipOffer = z.strictObject({
  servingRegion: RegionCode,
  applicantRegion: RegionCode,
  itemCodes: z
    .array(ItemCode)
    .min(1)
    .max(500)
    .refine((c) => new Set(c).size === c.length, { message: '事项编码重复' }),
});
/** One direction of a partnership. */
export type PartnershipOffer = z.infer<typeof PartnershipOffer>;

/** A 跨域通办 partnership between two regions, with the items offered in each direction. */
export const Partnership = z
  .strictObject({
    id: CatalogId,
    name: z.string().trim().min(2).max(80),
    regions: z.tuple([RegionCode, RegionCode]),
    offers: z.array(PartnershipOffer).min(1).max(2),
    serviceHours: ServiceHours,
    active: z.boolean(),
  })
  .refine((p) => p.regions[0] !== p.regions[1], { message: '合作双方不能是同一地区', path: ['regions'] })
  .refine(
    (p) =>
      p.offers.every(
        (o) => o.servingRegion !== o.applicantRegion && p.regions.includes(o.servingRegion) && p.regions.includes(o.applicantRegion),
      ),
    { message: '服务方向必须是合作双方之间的一个方向', path: ['offers'] },
  )
  .refine((p) => new Set(p.offers.map((o) => o.servingRegion)).size === p.offers.length, {
    message: '每个方向只能有一个服务清单',
    path: ['offers'],
  });
/** A 跨域通办 partnership. */
export type Partnership = z.infer<typeof Partnership>;

/** Every kind of catalogue entity, with its schema, the field that is its id and its not-found code. */
export const CATALOG_KINDS = {
  region: { schema: Region, idField: 'code', notFound: 'CATALOG_REGION_NOT_FOUND', label: '地区' },
  hall: { schema: Hall, idField: 'id', notFound: 'CATALOG_HALL_NOT_FOUND', label: '服务大厅' },
  counter: { schema: Counter, idField: 'id', notFound: 'CATALOG_COUNTER_NOT_FOUND', label: '窗口终端' },
  item: { schema: ServiceItem, idField: 'code', notFound: 'CATALOG_ITEM_NOT_FOUND', label: '服务事项' },
  partnership: { schema: Partnership, idField: 'id', notFound: 'CATALOG_PARTNERSHIP_NOT_FOUND', label: '合作关系' },
} as const;

/** A kind of catalogue entity. */
export type CatalogKind = keyof typeof CATALOG_KINDS;

/** The entity type of each catalogue kind. */
export interface CatalogEntities {
  region: Region;
  hall: Hall;
  counter: Counter;
  item: ServiceItem;
  partnership: Partnership;
}
