import type { CaseFacts } from '../auth/policy.js';
import type { CaseRecord } from '@rvw/protocol/caseRecord';

/** The facts of a case the policy decides on (auth/policy.ts knows no case record). */
export function caseFacts(record: CaseRecord): CaseFacts {
  return {
    caseId: record.id,
    servingRegion: record.servingRegion,
    applicantRegion: record.applicantRegion,
    counterId: record.counterId,
    itemCode: record.itemCode,
    ...(record.clerkId ? { clerkId: record.clerkId } : {}),
  };
}
