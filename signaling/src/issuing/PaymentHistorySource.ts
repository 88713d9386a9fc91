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

/**
 * The serving region's social-insurance records (参保缴费记录). In production this is the
 * region's 社保经办信息系统, reached through its data-sharing interface (政务数据共享交换平台)
 * with the clerk's authorization and the applicant's ID number; that system is outside this
 * machine, so the service takes this interface and the demo wires {@link DemoPaymentHistory}.
 */
export interface PaymentHistorySource {
  /** The contribution periods of the person, oldest first, and the insurance type. */
  lookup(idNumber: string): Promise<{ insuranceType: string; employer?: string; periods: PaymentPeriod[] }>;
}

/**
 * A stand-in for the social-insurance system: plausible, deterministic periods derived from a
 * hash of the ID number (the same person always gets the same history). Never for production.
 */
export class DemoPaymentHistory implements PaymentHistorySource {
  /** Deterministic demo periods for an ID number. */
  async lookup(idNumber: string): Promise<{ insuranceType: string; employer?: string; periods: PaymentPeriod[] }> {
    const h = createHash('sha256').update(idNumber).digest();
    const startYear = 2012 + ((h[0] ?? 0) % 6);
    const employers = ['苏州市吴江区盛泽镇某纺织有限公司', '霍邱县某建筑工程有限公司', '六安市某物流有限公司'];
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
    return { insuranceType: '企业职工基本养老保险', employer: periods.at(-1)?.payer, periods };
  }
}
