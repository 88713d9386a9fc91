import type { DocumentInput, PaymentRowInput } from '../../DocumentInput.js';
import type { DocumentTemplate } from '../DocumentTemplate.js';
import { printedCaseNumber } from './printedCaseNumber.js';

type PaymentCertificateInput = Extract<DocumentInput, { type: 'payment_certificate' }>;

/** 参保缴费证明: certifies social-insurance participation with a table of contribution periods. */
export const paymentCertificateTemplate: DocumentTemplate<PaymentCertificateInput> = {
  title: '参保缴费证明',
  renderBody(w, input) {
    const first = input.rows.reduce((min, r) => (r.from < min ? r.from : min), input.rows[0]?.from ?? '');
    const last = input.rows.reduce((max, r) => (r.to > max ? r.to : max), input.rows[0]?.to ?? '');
    const employer = input.employer ? `，参保单位为${input.employer}` : '';
    w.paragraph(
      `兹证明${input.applicant.name}（公民身份号码：${input.applicant.idNumberMasked}）在${input.region.name}参加${input.insuranceType}${employer}。` +
        `经核查，其${chineseMonth(first)}至${chineseMonth(last)}期间缴费情况如下：`,
    );
    w.space(6);
    let months = 0;
    let employerTotal = 0;
    let personalTotal = 0;
    const rows = input.rows.map((r) => {
      const n = monthCount(r);
      months += n;
      employerTotal += n * r.employerAmount;
      personalTotal += n * r.personalAmount;
      return [
        `${dotted(r.from)}—${dotted(r.to)}`,
        String(n),
        yuan(r.base),
        yuan(r.employerAmount),
        yuan(r.personalAmount),
        r.payer ?? input.employer ?? '',
      ];
    });
    w.table(
      [
        { header: '起止年月', width: 2.1, align: 'center' },
        { header: '月数', width: 0.7, align: 'center' },
        { header: '缴费基数\n（元）', width: 1.5, align: 'right' },
        { header: '单位缴费\n（元/月）', width: 1.5, align: 'right' },
        { header: '个人缴费\n（元/月）', width: 1.5, align: 'right' },
        { header: '缴费单位', width: 2.9 },
      ],
      rows,
      { size: 10 },
    );
    w.space(8);
    w.paragraph(
      `累计缴费${months}个月，其中单位缴费合计${yuan(employerTotal)}元，个人缴费合计${yuan(personalTotal)}元。`,
    );
    for (const field of input.fields) w.paragraph(`${field.label}：${field.value}`);
    if (input.remarks) w.paragraph(`备注：${input.remarks}`);
    w.paragraph('特此证明。');
    w.space(6);
    // Case reference for the counter and the archive, in small type below the certification.
    w.paragraph(`办件编号：${printedCaseNumber(input)}　办理事项：${input.item.name}（${input.item.code}）　经办人：${input.clerk.name}`, { size: 10, indentChars: 0 });
  },
};

function monthCount(r: PaymentRowInput): number {
  const [fy, fm] = r.from.split('-').map(Number);
  const [ty, tm] = r.to.split('-').map(Number);
  return ((ty ?? 0) - (fy ?? 0)) * 12 + ((tm ?? 0) - (fm ?? 0)) + 1;
}

function dotted(yearMonth: string): string {
  return yearMonth.replace('-', '.');
}

function chineseMonth(yearMonth: string): string {
  const [y, m] = yearMonth.split('-');
  return `${y}年${Number(m)}月`;
}

/** Amounts in yuan with two decimals and thousands separators, as financial tables print them. */
function yuan(amount: number): string {
  // Hand-rolled: Intl number formatting costs more than the rest of the table.
  const [whole = '0', cents = '00'] = amount.toFixed(2).split('.');
  return `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${cents}`;
}
