import type { DocumentInput } from '../../DocumentInput';
import { formatChineseDate } from '../../time/formatChineseDate';
import type { DocumentTemplate } from '../DocumentTemplate';
import { applicantTable } from './applicantTable';

type MissingNoticeInput = Extract<DocumentInput, { type: 'missing_notice' }>;

/** 容缺受理告知书: accepted although secondary materials are missing; lists them with the deadline. */
export const missingNoticeTemplate: DocumentTemplate<MissingNoticeInput> = {
  title: '容缺受理告知书',
  renderBody(w, input) {
    const deadline = formatChineseDate(input.deadline);
    w.paragraph(`${input.applicant.name}：`, { indentChars: 0 });
    w.paragraph(
      `您于${formatChineseDate(input.acceptedOn)}通过“跨域通办”远程虚拟窗口申请办理的“${input.item.name}”事项（办件编号：${input.caseId}），` +
        '经审查，基本条件具备、主要申请材料齐全，但尚缺下列非关键性材料。根据容缺受理有关规定，本机关予以容缺受理。',
    );
    w.paragraph(`请您于${deadline}前补齐下列材料（可通过“跨域通办”窗口提交）：`);
    w.space(4);
    w.table(
      [{ header: '序号', width: 1, align: 'center' }, { header: '所缺材料', width: 4 }, { header: '说明', width: 4 }],
      input.missing.map((m, i) => [String(i + 1), m.name, m.note ?? '']),
    );
    w.space(8);
    w.paragraph(`逾期未补齐的，本机关将终止办理，已受理的申请视为撤回。补齐期限：${deadline}。`);
    w.space(8);
    applicantTable(w, input, [['补正期限', deadline]]);
    if (input.remarks) {
      w.space(8);
      w.paragraph(`备注：${input.remarks}`, { size: 12, indentChars: 0 });
    }
  },
};
