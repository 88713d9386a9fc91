import type { DocumentInput } from '../../DocumentInput.js';
import type { PageWriter } from '../PageWriter.js';
import { printedCaseNumber } from './printedCaseNumber.js';

/**
 * The label/value table every document type prints — case, applicant (masked ID only), service
 * item, authority, clerk, then the template's own lines and the item's free fields — two pairs
 * per row, the compact form layout of Chinese government forms. Long values get a row of their own.
 */
export function applicantTable(w: PageWriter, input: DocumentInput, extra: ReadonlyArray<readonly [string, string]> = []): void {
  const pairs: Array<readonly [string, string]> = [
    ['办件编号', printedCaseNumber(input)],
    ['经办人', input.clerk.name],
    ['申请人', input.applicant.name],
    ['证件号码', input.applicant.idNumberMasked],
    // One pair: a label as long as 代办人证件号码 would wrap in its narrow column.
    ...(input.agent ? ([['代办人', `${input.agent.name}（与申请人关系：${input.agent.relationship}），证件号码 ${input.agent.idNumberMasked}`]] as const) : []),
    ...(input.helper ? ([['帮办人员', input.helper.name]] as const) : []),
    ['事项名称', input.item.name],
    ['事项编码', input.item.code],
    ['办理地区', input.region.name],
    ['办理机关', input.authority],
    ...extra,
    ...input.fields.map((f) => [f.label, f.value] as const),
  ];
  const size = 11;
  // A value longer than its half-row would wrap badly; it takes a whole row instead.
  const halfValueWidth = ((w.contentWidth * 3) / 9) - 8;
  const rows: string[][] = [];
  let pending: readonly [string, string] | undefined;
  for (const pair of pairs) {
    if (w.widthOf(pair[1], size) > halfValueWidth) {
      rows.push([pair[0], pair[1]]);
      continue;
    }
    if (pending) {
      rows.push([pending[0], pending[1], pair[0], pair[1]]);
      pending = undefined;
    } else {
      pending = pair;
    }
  }
  if (pending) rows.push([pending[0], pending[1]]);
  w.table(
    [{ header: '项目', width: 1.5 }, { header: '内容', width: 3 }, { header: '项目', width: 1.5 }, { header: '内容', width: 3 }],
    rows,
    { header: false, labelColumns: [0, 2], size },
  );
}
