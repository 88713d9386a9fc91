import type { CaseViewLike } from './caseView';
import { byId } from './dom';

/**
 * 录制中 in the page header (`#rec`), from the shared case record: shown while the serving node
 * records the case's call and this page is in that call; 录制中断 while a recorder restarts after a
 * failure. Both regions' pages read the same record, so they agree.
 */
export function showRecordingBadge(view: CaseViewLike | undefined, inCall: boolean): void {
  const badge = byId('rec');
  const state = inCall ? view?.recording?.state : undefined;
  const on = state === 'recording' || state === 'interrupted';
  badge.classList.toggle('hidden', !on);
  badge.classList.toggle('interrupted', state === 'interrupted');
  badge.title = state === 'interrupted' ? '录制因故中断，正在恢复；中断时段已记入办件记录' : on ? '本次视频办理正在全程录音录像' : '';
  byId('rec-text').textContent = state === 'interrupted' ? '录制中断，恢复中' : '录制中';
}
