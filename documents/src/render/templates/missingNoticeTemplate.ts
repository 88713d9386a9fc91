import type { DocumentInput } from '../../DocumentInput.js';
import { formatChineseDate } from '../../time/formatChineseDate.js';
import type { DocumentTemplate } from '../DocumentTemplate.js';
import { applicantTable } from './applicantTable.js';
import { printedCaseNumber } from './printedCaseNumber.js';

type MissingNoticeInput = Extract<DocumentInput, { type: 'missing_notice' }>;

/**
 * 容缺受理告知书: accepted with materials waived (容缺). The wording follows the case's real
 * checklist — what was submitted, what was waived and by when, and what is still missing without
 * a waiver — and never claims the materials are complete when they are not.
 */
export const missingNoticeTemplate: DocumentTemplate<MissingNoticeInput> = {
  title: '容缺受理告知书',
  renderBody(w, input) {
    const deadline = formatChineseDate(input.deadline);
    w.paragraph(`${input.applicant.name}：`, { indentChars: 0 });
    const complete = input.stillMissing.length === 0;
    w.paragraph(
      `您于${formatChineseDate(input.acceptedOn)}通过“跨域通办”远程虚拟窗口申请办理的“${input.item.name}”事项（办件编号：${printedCaseNumber(input)}），` +
        `经审查，${input.submitted.length ? `您已提交${input.submitted.map((m) => `“${m}”`).join('、')}` : '您尚未提交申请材料'}` +
        `，下列材料暂缺。根据容缺受理有关规定，本机关对下列材料予以容缺受理：`,
    );
    w.space(4);
    w.table(
      [{ header: '序号', width: 1, align: 'center' }, { header: '容缺材料', width: 3.4 }, { header: '补交期限', width: 2.2, align: 'center' }, { header: '说明', width: 3.4 }],
      input.missing.map((m, i) => [String(i + 1), m.name, formatChineseDate(m.deadline ?? input.deadline), m.note ?? '']),
    );
    w.space(8);
    if (!complete) {
      w.paragraph(
        `此外，下列材料尚未提交，也未予容缺受理：${input.stillMissing.map((m) => `“${m}”`).join('、')}。上述材料提交之前，本事项不能办结。`,
      );
    }
    w.paragraph(`请您在上表所列期限前补齐容缺材料（可通过“跨域通办”窗口提交）。逾期未补齐的，本机关将终止办理，已受理的申请视为撤回。最迟补交期限：${deadline}。`);
    w.space(8);
    applicantTable(w, input, [['补交期限', deadline]]);
    if (input.remarks) {
      w.space(8);
      w.paragraph(`备注：${input.remarks}`, { size: 12, indentChars: 0 });
    }
  },
};
