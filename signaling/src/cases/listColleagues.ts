import { authorizeParty } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { caseFacts } from './caseFacts.js';
import type { CaseDeps } from './CaseDeps.js';

/** A colleague a case may be transferred to, and whether they are at their desk now. */
export interface Colleague {
  staffId: string;
  name: string;
  online: boolean;
  busy: boolean;
  paused: boolean;
}

/**
 * The colleagues the holding clerk may transfer a case to (the same rule transferCase checks):
 * enabled clerks of the serving region assigned the item, other than the caller; those at their
 * desk and free first.
 */
export async function listColleagues(deps: CaseDeps, principal: Principal, caseId: string): Promise<Colleague[]> {
  const record = await deps.cases.require(caseId);
  authorizeParty(principal, 'case.transfer', caseFacts(record));
  const staff = (await deps.staff?.listStaff()) ?? [];
  const candidates = staff.filter((s) => s.role === 'clerk' && !s.disabled && s.regionCode === record.servingRegion && s.itemCodes.includes(record.itemCode) && s.id !== record.clerkId);
  const states = await deps.queues.presence.states(
    record.servingRegion,
    record.itemCode,
    candidates.map((c) => c.id),
  );
  return candidates
    .map((c, i) => ({ staffId: c.id, name: c.name, ...states[i]! }))
    .sort((a, b) => Number(b.online && !b.busy && !b.paused) - Number(a.online && !a.busy && !a.paused) || Number(b.online) - Number(a.online) || a.name.localeCompare(b.name, 'zh-CN'));
}
