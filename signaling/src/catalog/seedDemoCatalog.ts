import { AppError } from '../errors/AppError.js';
import type { CatalogStore } from './CatalogStore.js';
import type { CatalogKind, Hall, Counter, Partnership, Region, ServiceItem } from '@rvw/protocol/catalog';

// Demo data for the 吴江↔霍邱 scene (Xinhua 2025: a 霍邱 resident in 吴江 withdraws his pension
// account balance through a 跨域通办窗口 video call to 霍邱). Item codes follow the shape of the
// national basic codes (基本编码) but are illustrative, not looked up.

const WUJIANG = '320509';
const HUOQIU = '341522';

const REGIONS: Region[] = [
  { code: WUJIANG, name: '苏州市吴江区', province: '江苏省' },
  { code: HUOQIU, name: '六安市霍邱县', province: '安徽省' },
];

const HALLS: Hall[] = [
  { id: 'wujiang-xzfwzx', regionCode: WUJIANG, name: '吴江区行政服务中心 跨域通办窗口', address: '江苏省苏州市吴江区松陵街道中山南路1979号' },
  { id: 'huoqiu-zwfwzx', regionCode: HUOQIU, name: '霍邱县政务服务中心', address: '安徽省六安市霍邱县城关镇蓼城路' },
];

const COUNTERS: Counter[] = [
  { id: 'wujiang-kyth-01', hallId: 'wujiang-xzfwzx', name: '跨域通办窗口 1 号' },
  { id: 'huoqiu-kyth-01', hallId: 'huoqiu-zwfwzx', name: '跨域通办窗口 1 号' },
];

const ID_CARD = { id: 'id_card', name: '居民身份证', mandatory: true, description: '申请人有效居民身份证原件，高拍仪拍摄正反面' };

// 城乡居民基本养老保险个人账户一次性支付申请表, after the entries of 霍邱's own paper form: who
// applies comes from the case (the ID card read at the counter); the rest is filled on the call.
const PENSION_FORM: ServiceItem['form'] = [
  { key: 'applicant_name', label: '申领人姓名', type: 'text', required: true, source: 'applicant.name', confirm: true },
  { key: 'applicant_id', label: '申领人公民身份号码', type: 'text', required: true, source: 'applicant.idNumber', confirm: true },
  { key: 'applicant_phone', label: '联系电话', type: 'text', required: false, source: 'applicant.phone', confirm: false },
  { key: 'insured_name', label: '参保人姓名', type: 'text', required: true, confirm: true, maxLength: 50 },
  { key: 'relation', label: '申领人与参保人关系', type: 'select', required: true, confirm: true, options: ['本人', '配偶', '子女', '父母', '其他法定继承人'] },
  { key: 'reason', label: '申请原因', type: 'select', required: true, confirm: true, options: ['参保人死亡', '出国（境）定居', '已享受其他基本养老保障待遇', '其他'] },
  { key: 'event_date', label: '死亡（定居）日期', type: 'date', required: false, confirm: true },
  { key: 'bank_name', label: '开户银行', type: 'text', required: true, confirm: true, maxLength: 50, hint: '例如：中国农业银行霍邱县支行' },
  { key: 'bank_account', label: '银行账号', type: 'text', required: true, confirm: true, maxLength: 30, hint: '领取人本人的社保卡金融账户、银行卡或存折账号' },
  { key: 'address', label: '现居住地址', type: 'text', required: false, confirm: false, maxLength: 100 },
  { key: 'remarks', label: '备注', type: 'textarea', required: false, confirm: false, maxLength: 500 },
];

const ITEMS: ServiceItem[] = [
  {
    code: '000117005000',
    name: '城乡居民基本养老保险个人账户一次性支付',
    legalBasis:
      '《中华人民共和国社会保险法》第十四条；《国务院关于建立统一的城乡居民基本养老保险制度的意见》（国发〔2014〕8号）第九条；《城乡居民基本养老保险经办规程》（人社部发〔2019〕84号）',
    level: 'county',
    materials: [
      ID_CARD,
      { id: 'household_register', name: '户口簿', mandatory: true, description: '参保人户口簿（首页及本人页）' },
      { id: 'bank_card', name: '银行卡或存折', mandatory: true, description: '领取人本人社会保障卡（金融账户）、银行卡或存折' },
      {
        id: 'death_or_other_proof',
        name: '死亡证明或其他证明材料',
        mandatory: true,
        description: '参保人死亡的提供死亡证明或户籍注销证明；出国（境）定居的提供相关证明',
      },
      { id: 'heir_relation', name: '继承人关系证明', mandatory: false, description: '由继承人申领时提供，如户口簿、结婚证、出生医学证明或公证书' },
    ],
    statutoryDays: 20,
    promisedDays: 3,
    issuedDocuments: ['receipt', 'missing_notice', 'completion_notice'],
    form: PENSION_FORM,
  },
  {
    code: '000117013000',
    name: '参保缴费证明开具',
    legalBasis: '《中华人民共和国社会保险法》第四条、第七十四条',
    level: 'county',
    materials: [ID_CARD],
    statutoryDays: 1,
    promisedDays: 0,
    issuedDocuments: ['payment_certificate'],
    form: [],
  },
  {
    code: '000117009000',
    name: '社会保险关系转移接续',
    legalBasis: '《中华人民共和国社会保险法》第十九条；《城乡养老保险制度衔接暂行办法》（人社部发〔2014〕17号）',
    level: 'county',
    materials: [
      ID_CARD,
      { id: 'transfer_application', name: '基本养老保险关系转移接续申请表', mandatory: true, description: '申请人签字确认' },
      { id: 'payment_record', name: '参保缴费凭证', mandatory: false, description: '原参保地出具的参保缴费凭证，可由经办机构内部核查获取' },
    ],
    statutoryDays: 45,
    promisedDays: 15,
    issuedDocuments: ['receipt', 'missing_notice', 'completion_notice'],
    form: [],
  },
  {
    code: '000121004000',
    name: '住房公积金个人缴存证明出具',
    legalBasis: '《住房公积金管理条例》（1999年国务院令第262号发布，2019年修订）',
    level: 'municipal',
    materials: [ID_CARD],
    statutoryDays: 1,
    promisedDays: 0,
    // A 住房公积金 statement is the provident-fund centre's own form; no template here fits it, so
    // the window issues the acceptance receipt and the completion notice only.
    issuedDocuments: ['receipt', 'completion_notice'],
    form: [],
  },
];

const PARTNERSHIP: Partnership = {
  id: 'wujiang-huoqiu',
  name: '吴江—霍邱跨域通办',
  regions: [WUJIANG, HUOQIU],
  offers: [
    // 霍邱 clerks serve 霍邱 residents who now live and work in 吴江.
    { servingRegion: HUOQIU, applicantRegion: WUJIANG, itemCodes: ['000117005000', '000117013000', '000117009000'] },
    // And back: people who worked in 吴江 and went home to 霍邱 need 苏州 records.
    { servingRegion: WUJIANG, applicantRegion: HUOQIU, itemCodes: ['000117013000', '000121004000'] },
  ],
  serviceHours: {
    timezone: 'Asia/Shanghai',
    weekdays: [1, 2, 3, 4, 5],
    windows: [
      { start: '09:00', end: '12:00' },
      { start: '13:30', end: '17:30' },
    ],
  },
  active: true,
};

/** Ids of what {@link seedDemoCatalog} wrote, for demos and tests. */
export interface DemoCatalog {
  regionCodes: string[];
  hallIds: string[];
  counterIds: string[];
  itemCodes: string[];
  partnershipId: string;
}

/**
 * Writes the 吴江↔霍邱 demo catalogue where absent; idempotent, so it may run at every start.
 * Entries that already exist are left alone, so an administrator's edits (say, a deactivated
 * partnership) survive restarts.
 */
export async function seedDemoCatalog(store: CatalogStore): Promise<DemoCatalog> {
  // Referenced entities first: the store refuses a hall before its region, a partnership before its items.
  for (const r of REGIONS) await insertIfAbsent(store, 'region', r);
  for (const h of HALLS) await insertIfAbsent(store, 'hall', h);
  for (const c of COUNTERS) await insertIfAbsent(store, 'counter', c);
  for (const i of ITEMS) await insertIfAbsent(store, 'item', i);
  await insertIfAbsent(store, 'partnership', PARTNERSHIP);
  return {
    regionCodes: REGIONS.map((r) => r.code),
    hallIds: HALLS.map((h) => h.id),
    counterIds: COUNTERS.map((c) => c.id),
    itemCodes: ITEMS.map((i) => i.code),
    partnershipId: PARTNERSHIP.id,
  };
}

async function insertIfAbsent(store: CatalogStore, kind: CatalogKind, value: unknown): Promise<void> {
  try {
    await store.insert(kind, value);
  } catch (e) {
    if (!(e instanceof AppError && e.code === 'CATALOG_DUPLICATE')) throw e;
  }
}
