import type { DocumentInputData } from '@rvw/documents';

/** The fixed instant documents in tests are issued at: 2026-11-23 09:30 China time. */
export const ISSUED_AT = new Date('2026-11-23T01:30:00Z');
/** Public origin baked into QR codes and footers in tests. */
export const PUBLIC_ORIGIN = 'https://rvw.example.gov.cn';

/** Regions whose signing certificates tests create. */
export const REGIONS = [
  { code: '341522', name: '霍邱县政务服务管理局' },
  { code: '320583', name: '昆山市政务服务管理办公室' },
];

const common = {
  caseId: 'C20261123-0042',
  region: { code: '341522', name: '安徽省六安市霍邱县' },
  applicant: { name: '张三丰', idNumberMasked: '3415**********1234' },
  clerk: { staffId: 'clerk-1', name: '李四' },
};

/** One realistic input per document type; each carries the Chinese strings tests look for. */
export const SAMPLE_INPUTS: { [K in DocumentInputData['type']]: Extract<DocumentInputData, { type: K }> } = {
  receipt: {
    ...common,
    type: 'receipt',
    authority: '霍邱县政务服务管理局',
    item: { code: '340100-SB-001', name: '城乡居民养老保险参保登记' },
    acceptedOn: '2026-11-23',
    promisedDays: 5,
    materials: ['居民身份证', '户口簿', '参保登记表（原件）'],
  },
  missing_notice: {
    ...common,
    type: 'missing_notice',
    authority: '霍邱县政务服务管理局',
    item: { code: '340100-SB-007', name: '失业保险金申领' },
    acceptedOn: '2026-11-23',
    deadline: '2026-12-08',
    missing: [{ name: '劳动合同复印件', note: '需加盖单位公章' }, { name: '近期免冠照片' }],
  },
  payment_certificate: {
    ...common,
    type: 'payment_certificate',
    authority: '霍邱县社会保险事业管理中心',
    item: { code: '340100-SB-003', name: '参保缴费证明开具' },
    insuranceType: '企业职工基本养老保险',
    employer: '昆山某某电子有限公司',
    rows: Array.from({ length: 8 }, (_, i) => ({
      from: `${2018 + i}-01`,
      to: `${2018 + i}-12`,
      base: 4500 + i * 300,
      employerAmount: (4500 + i * 300) * 0.16,
      personalAmount: (4500 + i * 300) * 0.08,
    })),
  },
  completion_notice: {
    ...common,
    type: 'completion_notice',
    authority: '霍邱县社会保险事业管理中心',
    item: { code: '340100-SB-003', name: '参保缴费证明开具' },
    acceptedOn: '2026-11-20',
    completedOn: '2026-11-23',
    result: '准予办理，已出具《参保缴费证明》。',
    delivery: '由昆山市“跨域通办”窗口现场打印交付',
  },
  application_form: {
    ...common,
    type: 'application_form',
    authority: '霍邱县政务服务管理局',
    item: { code: '000117005000', name: '城乡居民基本养老保险个人账户一次性支付' },
    entries: [
      { label: '申领人姓名', value: '张三丰', required: true, confirm: true },
      { label: '申领人公民身份号码', value: '3415**********1234', required: true, confirm: true },
      { label: '参保人姓名', value: '张翠山', required: true, confirm: true },
      { label: '申领人与参保人关系', value: '子女', required: true, confirm: true },
      { label: '开户银行', value: '中国农业银行霍邱县支行', required: true, confirm: true },
      { label: '银行账号', value: '6228480000000000001', required: true, confirm: true },
      { label: '现居住地址', value: '', required: false, confirm: false },
    ],
    confirmation: { signedAt: '2026-11-23T01:20:00.000Z', counterName: '吴江区行政服务中心 跨域通办窗口（跨域通办窗口 1 号）', signatureSha256: 'ab'.repeat(32) },
  },
};
