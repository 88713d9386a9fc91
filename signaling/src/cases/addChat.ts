import { actorOf } from '../audit/actorOf';
import type { Principal } from '../auth/Principal';
import { parseInput } from '../catalog/parseInput';
import { AppError } from '../errors/AppError';
import { assertCaseState } from './assertCaseState';
import { assertParticipant } from './assertParticipant';
import type { CaseDeps } from './CaseDeps';
import { ChatInput } from './CaseInputs';
import { CASE_LIMITS, type CaseRecord } from './CaseRecord';
import { notifyCase } from './notifyCase';

/** Either side appends a chat line; needs no client version (the store retries a lost race). */
export async function addChat(deps: CaseDeps, principal: Principal, caseId: string, input: ChatInput): Promise<CaseRecord> {
  const { text } = parseInput(ChatInput, input);
  const actor = actorOf(principal);
  const record = await deps.cases.update(caseId, (draft) => {
    const side = assertParticipant(draft, principal, ['counter', 'clerk']);
    assertCaseState(draft, ['in_session', 'pending_materials', 'suspended'], '发送消息');
    if (draft.chat.length >= CASE_LIMITS.chatLines) {
      throw new AppError('CASE_CHAT_FULL', `每个办件最多 ${CASE_LIMITS.chatLines} 条消息`, 409, { limit: CASE_LIMITS.chatLines });
    }
    draft.chat.push({ at: deps.clock().toISOString(), by: actor.id, role: side, text });
    return { actor, action: 'chat.added', data: { text } };
  });
  notifyCase(deps, record);
  return record;
}
