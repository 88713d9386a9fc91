import { createHash } from 'node:crypto';

/** One contribution period of an insured person, as the social-insurance system reports it. */
export interface PaymentPeriod {
  from: string; // YYYY-MM
  to: string; // YYYY-MM
  base: number;
  employerAmount: number;
  personalAmount: number;
  payer: string;
}

/** What a records lookup returns. */
export interface PaymentHistory {
  insuranceType: string;
  employer?: string;
  periods: PaymentPeriod[];
  /**
   * True when the history is made-up demonstration data: a document built from it must say so
   * on its face and on /verify, so it can never pass for a real certificate.
   */
  sample?: boolean;
}

/**
 * The serving region's social-insurance records (参保缴费记录). In production this is the
 * region's 社保经办信息系统, reached through its data-sharing interface (政务数据共享交换平台)
 * with the clerk's authorization and the applicant's ID number; that system is outside this
 * machine, so the service takes this interface and the demo wires {@link DemoPaymentHistory}.
 */
export interface PaymentHistorySource {
  /** The contribution periods of the person in `region` (the serving region), oldest first. */
  lookup(idNumber: string, region: { code: string; name: string }): Promise<PaymentHistory>;
}

/**
 * A stand-in for the social-insurance system: plausible, deterministic periods derived from a
 * hash of the ID number (the same person always gets the same history), with employers of the
 * serving region (a 霍邱 record lists 霍邱 and 六安 employers). Marked `sample`. Never for production.
 */
export class DemoPaymentHistory implements PaymentHistorySource {
  /** Deterministic demo periods for an ID number in `region`. */
  async lookup(idNumber: string, region: { code: string; name: string }): Promise<PaymentHistory> {
    const h = createHash('sha256').update(idNumber).digest();
    const startYear = 2012 + ((h[0] ?? 0) % 6);
    const employers = demoEmployers(region.name);
    const periods: PaymentPeriod[] = [];
    let base = 3000 + ((h[1] ?? 0) % 20) * 100;
    for (let year = startYear; year <= 2025; year += 2) {
      const payer = employers[((h[2] ?? 0) + year) % employers.length]!;
      periods.push({
        from: `${year}-01`,
        to: `${Math.min(year + 1, 2025)}-12`,
        base,
        employerAmount: Math.round(base * 0.16 * 100) / 100,
        personalAmount: Math.round(base * 0.08 * 100) / 100,
        payer,
      });
      base += 300;
    }
    return { insuranceType: '企业职工基本养老保险', employer: periods.at(-1)?.payer, periods, sample: true };
  }
}

/** Made-up employers located in the region: 六安市霍邱县 → 霍邱县…, 六安市…. */
function demoEmployers(regionName: string): string[] {
  const cut = regionName.indexOf('市');
  const city = cut > 0 ? regionName.slice(0, cut + 1) : regionName;
  const local = cut > 0 && cut < regionName.length - 1 ? regionName.slice(cut + 1) : regionName;
  return [`${local}某建筑工程有限公司`, `${city}某物流有限公司`, `${local}某农副产品加工有限公司`];
}
