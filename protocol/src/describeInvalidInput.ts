/**
 * What a person should do about input the schema refused, in Chinese: schema paths and zod's
 * English never reach a screen (they go into `details` for the log). Keyed by the innermost named
 * segments of the path (`applicant.name` before `name`), so `applicant.idNumber` and `idNumber`
 * read the same.
 */
const FIELD_ADVICE: Readonly<Record<string, string>> = {
  idNumber: '身份证号码格式不正确，请核对 18 位号码（最后一位可以是 X）',
  'applicant.name': '请填写申请人姓名（不超过 50 个字）',
  name: '请填写名称，且不要超过规定长度',
  phone: '联系电话格式不正确，请填写手机号码或固定电话',
  deadline: '请选择补交期限（日期）',
  note: '请填写容缺说明（不超过 500 字）',
  reason: '原因说明过长，请精简到 500 字以内',
  text: '消息不能为空，且不超过 1000 字',
  score: '请选择 1 至 5 星的评价',
  comment: '评价意见不超过 500 字',
  pngBase64: '签名未能读取，请重写后再确认',
  dataBase64: '材料图片过大或无法读取，请重新拍摄',
  mime: '只能上传 JPEG、PNG 图片或 PDF 文件',
  docType: '请选择要出具的文书类型',
  to: '请选择要办理的操作',
  itemCode: '请选择办理事项',
  partnershipId: '请选择办理地区',
  fields: '办件信息填写有误，请检查后重试',
  expectedVersion: '办件已被更新，请刷新后重试',
};

/** The default when no field explains it: the page sent something it should not have. */
export const GENERIC_ADVICE = '提交的内容有误，请刷新页面后重试；如仍有问题，请联系系统管理员';

const HAS_CHINESE = /[\u4e00-\u9fff]/;

/**
 * One sentence for the first issue a person can act on: the advice for its field, else the
 * schema's own Chinese message (e.g. 结束时间须晚于开始时间) as it is, else GENERIC_ADVICE.
 */
export function describeInvalidInput(issues: readonly { path: readonly PropertyKey[]; message?: string }[]): string {
  for (const issue of issues) {
    const named = issue.path.filter((p): p is string => typeof p === 'string');
    // Innermost first (applicant.name, then name), then the parents (fields.x → fields).
    for (let i = named.length - 1; i >= 0; i--) {
      for (const key of [named.slice(Math.max(0, i - 1), i + 1).join('.'), named[i]!]) {
        const advice = Object.hasOwn(FIELD_ADVICE, key) ? FIELD_ADVICE[key] : undefined;
        if (advice) return advice;
      }
    }
  }
  const chinese = issues.find((i) => i.message && HAS_CHINESE.test(i.message) && !/[A-Za-z]{3,}/.test(i.message));
  return chinese?.message ?? GENERIC_ADVICE;
}
