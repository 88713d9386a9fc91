import type { DocumentInput } from '../../DocumentInput.js';
import { formatChineseDate } from '../../time/formatChineseDate.js';
import type { DocumentTemplate } from '../DocumentTemplate.js';
import { applicantTable } from './applicantTable.js';

type ReceiptInput = Extract<DocumentInput, { type: 'receipt' }>;

/** 受理回执: confirms that the remote authority accepted the application. */
export const receiptTemplate: DocumentTemplate<ReceiptInput> = {
  title: '受理回执',
  renderBody(w, input) {
    const accepted = formatChineseDate(input.acceptedOn);
    w.paragraph(`${input.applicant.name}：`, { indentChars: 0 });
    const limit = input.promisedDays ? `承诺办结时限为${input.promisedDays}个工作日，` : '';
    w.paragraph(
      `您于${accepted}通过“跨域通办”远程虚拟窗口提交的“${input.item.name}”事项申请，本机关已依法受理。` +
        `${limit}办理结果将通过“跨域通办”窗口送达。请妥善保管本回执，可凭办件编号查询办理进度。`,
    );
    w.space(8);
    applicantTable(w, input, [
      ['受理日期', accepted],
      ...(input.promisedDays ? [['承诺时限', `${input.promisedDays}个工作日`] as [string, string]] : []),
    ]);
    if (input.materials.length > 0) {
      w.space(12);
      w.table(
        [{ header: '序号', width: 1, align: 'center' }, { header: '已收材料', width: 7 }],
        input.materials.map((m, i) => [String(i + 1), m]),
      );
    }
    if (input.remarks) {
      w.space(8);
      w.paragraph(`备注：${input.remarks}`, { size: 12, indentChars: 0 });
    }
  },
};
