import type { DocumentInput } from '../../DocumentInput.js';
import { formatChineseDate } from '../../time/formatChineseDate.js';
import type { DocumentTemplate } from '../DocumentTemplate.js';
import { applicantTable } from './applicantTable.js';
import { printedCaseNumber } from './printedCaseNumber.js';

type CompletionNoticeInput = Extract<DocumentInput, { type: 'completion_notice' }>;

/** 办结通知书: the case is completed; states the result and the applicant's legal remedies. */
export const completionNoticeTemplate: DocumentTemplate<CompletionNoticeInput> = {
  title: '办结通知书',
  renderBody(w, input) {
    w.paragraph(`${input.applicant.name}：`, { indentChars: 0 });
    w.paragraph(
      `您于${formatChineseDate(input.acceptedOn)}通过“跨域通办”远程虚拟窗口申请办理的“${input.item.name}”事项（办件编号：${printedCaseNumber(input)}），` +
        `本机关已于${formatChineseDate(input.completedOn)}办结。`,
    );
    w.paragraph(`办理结果：${input.result}`);
    if (input.delivery) w.paragraph(`送达方式：${input.delivery}`);
    // Statutory remedy periods: 行政复议法 art. 20 (60 days), 行政诉讼法 art. 46 (6 months).
    w.paragraph('如对办理结果有异议，可自收到本通知书之日起六十日内依法申请行政复议，或者自知道作出行政行为之日起六个月内依法提起行政诉讼。');
    w.paragraph('感谢您对政务服务工作的支持，欢迎对本次服务作出评价。');
    w.space(8);
    applicantTable(w, input, [['办结日期', formatChineseDate(input.completedOn)]]);
    if (input.remarks) {
      w.space(8);
      w.paragraph(`备注：${input.remarks}`, { size: 12, indentChars: 0 });
    }
  },
};
