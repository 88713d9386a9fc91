import { caseView } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import type { CaseRecord, CaseState } from '@rvw/protocol/caseRecord';
import type { CaseView } from '@rvw/protocol/responses';
import { maskIdNumber } from './maskIdNumber.js';
import { maskPhone } from './maskPhone.js';

// The view's shape is part of the wire contract; it is declared once, in the protocol package.
export type { CaseView };

// The clerk needs the whole ID number to look the applicant up in the serving region's systems,
// and only while handling the case. The counter screen stands in a public hall and the applicant
// holds the ID card anyway, so it, queue lists, dashboards and administrators see masked numbers.
const HANDLING: readonly CaseState[] = ['in_session', 'pending_materials', 'suspended'];

/**
 * The view of a record for an audience. Given a principal: full numbers for the accepting clerk
 * while handling, masked for everyone else. Given `'full'` or `'masked'`: exactly that (for a
 * caller whose policy has already decided).
 */
export function toCaseView(record: CaseRecord, audience: Principal | 'full' | 'masked'): CaseView {
  const full =
    typeof audience === 'string'
      ? audience === 'full'
      : caseView(audience, {
          servingRegion: record.servingRegion,
          applicantRegion: record.applicantRegion,
          counterId: record.counterId,
          itemCode: record.itemCode,
          ...(record.clerkId !== undefined ? { clerkId: record.clerkId } : {}),
        }) === 'full' && HANDLING.includes(record.state);
  const { name, idNumber, phone } = record.applicant;
  const agent = record.agent;
  return {
    ...record,
    ...(agent ? { agent: { ...agent, idNumber: full ? agent.idNumber : maskIdNumber(agent.idNumber), ...(agent.phone !== undefined ? { phone: full ? agent.phone : maskPhone(agent.phone) } : {}) } } : {}),
    applicant: {
      name,
      idNumber: full ? idNumber : maskIdNumber(idNumber),
      ...(phone !== undefined ? { phone: full ? phone : maskPhone(phone) } : {}),
      masked: !full,
    },
  };
}
