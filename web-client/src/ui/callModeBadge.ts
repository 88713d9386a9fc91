import { CALL_MODE_LABELS, type CallMode } from '@rvw/protocol/vocabulary';
import type { CaseViewLike } from './caseView';
import { byId } from './dom';

/**
 * The call's mode in the page header (`#call-mode`), from the shared case record, so both
 * regions' screens say the same: nothing while the call carries everything; otherwise what it
 * carries now (优先保证材料画面 / 语音＋材料静态画面 / 仅语音), spoken out to screen readers.
 */
export function showCallModeBadge(view: CaseViewLike | undefined, inCall: boolean): CallMode {
  const mode: CallMode = inCall ? (view?.media?.mode ?? 'full') : 'full';
  const badge = byId('call-mode');
  badge.dataset.mode = mode;
  // The pictures say what the mode stopped (styles.css): a frozen last frame must not look live.
  document.body.dataset.callMode = mode;
  badge.classList.toggle('hidden', mode === 'full');
  badge.textContent = mode === 'full' ? '' : CALL_MODE_LABELS[mode];
  badge.title = mode === 'full' ? '' : '网络状况变化时，通话会自动调整画面，网络恢复后自动恢复视频；每次调整都记入办件记录';
  return mode;
}
