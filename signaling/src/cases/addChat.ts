import { actorOf } from '../audit/actorOf.js';
import { authorizeParty } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { parseInput } from '../catalog/parseInput.js';
import { AppError } from '../errors/AppError.js';
import { assertCaseState } from './assertCaseState.js';
import { caseFacts } from './caseFacts.js';
import type { CaseDeps } from './CaseDeps.js';
import { ChatInput } from './CaseInputs.js';
import { CASE_LIMITS, type CaseRecord } from '@rvw/protocol/caseRecord';
import { notifyCase } from './notifyCase.js';

/**
 * Chat: either side appends a line. Authorize → append → record (audit event) → notify. Needs no
 * client version (the store retries a lost race).
 */
export async function addChat(deps: CaseDeps, principal: Principal, caseId: string, input: ChatInput): Promise<CaseRecord> {
  const { text } = parseInput(ChatInput, input);
  const record = await deps.cases.update(caseId, (draft) => {
    const side = authorizeParty(principal, 'chat.send', caseFacts(draft));
    const actor = actorOf(principal);
    assertCaseState(draft, ['in_session', 'pending_materials', 'suspended'], '发送消息');
    // Counted per side: one side writing without end cannot silence the other.
    const limit = CASE_LIMITS.chatLinesPerSide;
    if (draft.chat.filter((line) => line.role === side).length >= limit) {
      throw new AppError('CASE_CHAT_FULL', `本方在每个办件最多发送 ${limit} 条消息`, 409, { limit, side });
    }
    draft.chat.push({ at: deps.clock().toISOString(), by: actor.id, role: side, text });
    return { actor, action: 'chat.added', data: { text } };
  });
  notifyCase(deps, record);
  return record;
}
