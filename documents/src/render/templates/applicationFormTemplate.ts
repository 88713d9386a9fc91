import type { DocumentInput } from '../../DocumentInput.js';
import { formatChineseDate } from '../../time/formatChineseDate.js';
import type { DocumentTemplate } from '../DocumentTemplate.js';
import { printedCaseNumber } from './printedCaseNumber.js';

type ApplicationFormInput = Extract<DocumentInput, { type: 'application_form' }>;

/**
 * 申请表 (#18): the item's application form as the two sides filled it on the call, entry by
 * entry in the form's order, with the applicant's confirmation — when and at which counter they
 * signed, and the digest of the signature image kept in the case — so the signed PDF binds the
 * entries to that signature.
 */
export const applicationFormTemplate: DocumentTemplate<ApplicationFormInput> = {
  title: '申请表',
  renderBody(w, input) {
    w.paragraph(`申请事项：${input.item.name}（事项编码 ${input.item.code}）`, { indentChars: 0, size: 12 });
    w.paragraph(`办件编号：${printedCaseNumber(input)}　受理地区：${input.region.name}　经办人：${input.clerk.name}`, { indentChars: 0, size: 12 });
    w.space(6);
    w.table(
      [{ header: '填写项', width: 2 }, { header: '填写内容', width: 5 }, { header: '申请人确认', width: 1.4, align: 'center' }],
      input.entries.map((e) => [`${e.label}${e.required ? '（必填）' : ''}`, e.value === '' ? '（未填写）' : e.value, e.confirm ? '已确认' : '—']),
      { labelColumns: [0], size: 11 },
    );
    w.space(10);
    w.paragraph(`${input.agent ? '代办人' : '申请人'}声明：本人已在申请地跨域通办窗口与受理地工作人员同屏核对以上内容，确认真实、准确、完整；如有不实，愿承担相应法律责任。`, { size: 12 });
    const c = input.confirmation;
    // 帮办代办: the agent signs for the applicant, on the strength of the 委托书 kept in the case.
    const signer = input.agent
      ? `代办人 ${input.agent.name}（证件号码 ${input.agent.idNumberMasked}，与申请人关系：${input.agent.relationship}）受申请人 ${input.applicant.name}（证件号码 ${input.applicant.idNumberMasked}）委托，`
      : `申请人 ${input.applicant.name}（证件号码 ${input.applicant.idNumberMasked}）`;
    const helped = input.helper ? `，帮办人员 ${input.helper.name} 在场协助` : '';
    w.paragraph(
      `${signer}于${formatChineseDate(new Date(c.signedAt), { withTime: true })}在${c.counterName}签字确认${helped}。` +
        `签名图像留存于本办件材料，其 SHA-256 摘要为 ${c.signatureSha256.slice(0, 32)}…${c.signatureSha256.slice(-8)}。`,
      { size: 11 },
    );
    if (c.consentSha256) w.paragraph(`申请人签字的授权委托书留存于本办件材料，其 SHA-256 摘要为 ${c.consentSha256.slice(0, 32)}…${c.consentSha256.slice(-8)}。`, { size: 11 });
    if (input.remarks) {
      w.space(6);
      w.paragraph(`备注：${input.remarks}`, { size: 11, indentChars: 0 });
    }
  },
};
