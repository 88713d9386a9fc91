import { actorOf } from '../audit/actorOf.js';
import { authorizeParty } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { AppError } from '../errors/AppError.js';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import { assertCaseState } from './assertCaseState.js';
import { caseFacts } from './caseFacts.js';
import type { CaseDeps } from './CaseDeps.js';
import { notifyCase } from './notifyCase.js';

/** What the clerk sends to hand a case over. */
export interface TransferInput {
  toStaffId: string;
  /** For the colleague: what was done, what is left (2–500 characters, validated at the edge). */
  note: string;
}

/**
 * 转办: the clerk holding a case hands it to a colleague. Authorize (the holding clerk) → check the
 * case is being handled and the colleague may serve it (an enabled clerk of the serving region
 * assigned the item, not the clerk itself) → record (the new holder and the note as one audit
 * event) → the presence's busy marks follow the case → notify (the colleague's pages hear of it;
 * every node releases the former holder's desk from the call: notificationWiring).
 */
export async function transferCase(deps: CaseDeps, principal: Principal, caseId: string, input: TransferInput): Promise<CaseRecord> {
  const target = await deps.staff?.getStaff(input.toStaffId);
  let from = '';
  const record = await deps.cases.update(caseId, (draft) => {
    authorizeParty(principal, 'case.transfer', caseFacts(draft));
    assertCaseState(draft, ['in_session', 'pending_materials', 'suspended'], '转办');
    from = draft.clerkId ?? '';
    if (!target || target.disabled || target.role !== 'clerk' || target.regionCode !== draft.servingRegion || !target.itemCodes.includes(draft.itemCode) || target.id === from) {
      throw new AppError('TRANSFER_TARGET_INVALID', '只能转给本地区负责该事项、账号有效的其他工作人员', 409, { toStaffId: input.toStaffId });
    }
    draft.clerkId = target.id;
    // For the new holder's page (收到转办): the audit chain is not theirs to read on the queue view.
    draft.lastTransfer = { from, fromName: principal.kind === 'staff' ? principal.name : from, to: target.id, note: input.note, at: deps.clock().toISOString() };
    return { actor: actorOf(principal), action: 'case.transferred', data: { from, to: target.id, toName: target.name, note: input.note } };
  });
  // Estimates only: the case has moved whatever happens to these writes.
  await deps.queues.presence.free(from, caseId).catch(() => undefined);
  await deps.queues.presence.busy(record.clerkId!, caseId).catch((e: unknown) => deps.log.warn({ err: e, caseId }, 'marking the new holder busy failed'));
  notifyCase(deps, record);
  return record;
}
