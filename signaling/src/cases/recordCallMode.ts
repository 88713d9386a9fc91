import { CALL_MODES, type CallMode } from '@rvw/protocol/vocabulary';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import { actorOf } from '../audit/actorOf.js';
import { authorizeParty } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { assertCaseState } from './assertCaseState.js';
import { caseFacts } from './caseFacts.js';
import { chargeSide } from './chargeSide.js';
import type { CaseDeps } from './CaseDeps.js';
import { notifyCase } from './notifyCase.js';

/** Input of recordCallMode: one side's proposal and the figures that decided it. */
export interface CallModeInput {
  proposed: CallMode;
  measured: { availableKbps?: number; lossPct?: number; rttMs?: number };
}

/**
 * Proposals a case stores at most from each side. Each is an audit event; the pages' ladder waits 4 s before a
 * step down and 8 s or more (doubling) before a step up, so a real call stays far below this, and a
 * page that flips modes cannot grow the chain without bound.
 */
export const MAX_CALL_MODE_CHANGES = 240;

/** The worse of two modes (later in CALL_MODES is worse). */
function worse(a: CallMode, b: CallMode): CallMode {
  return CALL_MODES.indexOf(a) >= CALL_MODES.indexOf(b) ? a : b;
}

/**
 * 降级 and back (#17's ladder): one side of the call proposes the mode its own path can carry;
 * the call runs at the worse of the two sides' proposals. authorize (each side speaks for itself
 * only: the side is the caller's) → a changed proposal is stored with the mode it leaves the call
 * in, as an audit event carrying the measured reason (`call.mode`) → `case.changed`, so both
 * regions' pages show the mode from the shared record. An unchanged proposal writes nothing.
 */
export async function recordCallMode(deps: CaseDeps, principal: Principal, caseId: string, input: CallModeInput): Promise<CaseRecord> {
  const current = await deps.cases.require(caseId);
  const side = authorizeParty(principal, 'call.mode', caseFacts(current));
  if ((current.media?.[side] ?? 'full') === input.proposed) return current;
  const record = await deps.cases.update(caseId, (draft) => {
    authorizeParty(principal, 'call.mode', caseFacts(draft));
    // A call happens while the case is handled; a queued or closed case has none to degrade.
    assertCaseState(draft, ['in_session', 'pending_materials', 'suspended'], '调整通话模式');
    // Counted per side: one side flipping modes must not use up the other's proposals.
    const changes = chargeSide(draft.media?.changes, side, MAX_CALL_MODE_CHANGES, {
      budget: 'callModeChangesPerSide',
      message: '本次通话的画面调整次数已达上限，保持当前通话模式 (call mode changes)',
    });
    const counter = side === 'counter' ? input.proposed : (draft.media?.counter ?? 'full');
    const clerk = side === 'clerk' ? input.proposed : (draft.media?.clerk ?? 'full');
    const from = draft.media?.mode ?? 'full';
    const mode = worse(counter, clerk);
    draft.media = { mode, counter, clerk, since: mode === from && draft.media ? draft.media.since : deps.clock().toISOString(), changes };
    return { actor: actorOf(principal), action: 'call.mode', data: { side, proposed: input.proposed, from, mode, measured: input.measured } };
  });
  notifyCase(deps, record);
  return record;
}
