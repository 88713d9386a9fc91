import type { CaseRecord, IdentityResult, SideCounts } from '@rvw/protocol/caseRecord';
import { actorOf } from '../audit/actorOf.js';
import { authorizeParty, type CaseSide } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { AppError } from '../errors/AppError.js';
import { assertCaseState } from './assertCaseState.js';
import { caseFacts } from './caseFacts.js';
import { chargeSide } from './chargeSide.js';
import type { CaseDeps } from './CaseDeps.js';
import { notifyCase } from './notifyCase.js';

/** What the counter's reader read from the applicant's ID card. */
export interface IdCardInput {
  name: string;
  idNumber: string;
  photo: Uint8Array;
  /** A test reader's data (shown as 样例数据 to the clerk). */
  sample: boolean;
}

/** The decoded chip photo's bound: the card's picture is 102×126, a few KB as JPEG. */
const MAX_CHIP_PHOTO_BYTES = 48 * 1024;

/**
 * Readings (the counter's) and findings (the clerk's) each side of a case may store. Each is an
 * audit event (and a reading a record rewrite with a photo): a counter or a clerk repeating them
 * without end must not grow the chain without bound. A real visit needs a handful. Counted per
 * side, so a counter reading the card without end cannot use up the clerk's findings.
 */
export const MAX_IDENTITY_CHANGES_PER_SIDE = 20;

/** The identity's counts after one more reading (the counter's) or finding (the clerk's). */
function countChange(draft: CaseRecord, side: CaseSide): { changes: number; changesBySide: SideCounts } {
  const changesBySide = chargeSide(draft.identity?.changesBySide, side, MAX_IDENTITY_CHANGES_PER_SIDE, {
    budget: 'identityChangesPerSide',
    message: `本办件的${side === 'counter' ? '读卡' : '核验'}次数已达上限，请联系大厅技术人员 (identity changes)`,
  });
  return { changes: (draft.identity?.changes ?? 0) + 1, changesBySide };
}

/**
 * 人证核验 (#18), the counter's half: the applicant's ID card as the counter's reader read it.
 * Authorize (the case's own counter) → the photo is a JPEG of sane size → the card is the
 * applicant's (number and name as the case records them; another person's card is refused and
 * nothing is kept) → the record notes the reading (when, which counter, sample or not) with an
 * audit event that carries no personal data, and the chip photo is kept beside the record, in the
 * same atomic commit, until the case closes → `case.changed`, so the clerk's page shows it.
 * A new reading asks for a new finding: a recorded verdict is cleared.
 */
export async function recordIdCard(deps: CaseDeps, principal: Principal, caseId: string, card: IdCardInput): Promise<CaseRecord> {
  authorizeParty(principal, 'identity.card', caseFacts(await deps.cases.require(caseId)));
  if (card.photo.byteLength > MAX_CHIP_PHOTO_BYTES || !(card.photo[0] === 0xff && card.photo[1] === 0xd8 && card.photo[2] === 0xff)) {
    throw new AppError('IDENTITY_PHOTO_INVALID', '身份证芯片照片无法识别，请重新读卡 (expected a JPEG of at most 48 KB)', 400, { bytes: card.photo.byteLength });
  }
  const readAt = deps.clock().toISOString();
  const record = await deps.cases.update(caseId, (draft) => {
    authorizeParty(principal, 'identity.card', caseFacts(draft));
    assertCaseState(draft, ['queued', 'in_session', 'pending_materials', 'suspended'], '读取身份证');
    if (card.idNumber.toUpperCase() !== draft.applicant.idNumber.toUpperCase() || card.name.trim() !== draft.applicant.name.trim()) {
      throw new AppError('IDENTITY_CARD_NOT_APPLICANT', '读取的身份证与本次办件的申请人不一致，请核对后重新读卡', 409, { caseId });
    }
    draft.identity = { card: { readAt, counterId: actorOf(principal).id, sample: card.sample }, ...countChange(draft, 'counter') };
    return {
      actor: actorOf(principal),
      action: 'identity.card_read',
      data: { sample: card.sample },
      chipPhoto: { photoBase64: Buffer.from(card.photo).toString('base64'), sample: card.sample, readAt },
    };
  });
  notifyCase(deps, record);
  return record;
}

/** The clerk holding the case: the chip photo read at the counter, while the case is open. */
export async function readChipPhoto(deps: CaseDeps, principal: Principal, caseId: string): Promise<{ photoBase64: string; sample: boolean; readAt: string }> {
  const record = await deps.cases.require(caseId);
  authorizeParty(principal, 'identity.photo', caseFacts(record));
  const photo = await deps.cases.chipPhoto(caseId);
  if (!photo) {
    throw new AppError('IDENTITY_CARD_NOT_READ', record.identity ? '办件已结束，身份证照片已删除' : '申请人尚未在窗口读取身份证，请提示窗口工作人员读卡', 404, { caseId });
  }
  return photo;
}

/**
 * 人证核验, the clerk's half: having compared the chip photo with the live face, the clerk holding
 * the case records the result. Only the result and who decided go into the record and the audit
 * chain — never the photo.
 */
export async function recordIdentityVerdict(deps: CaseDeps, principal: Principal, caseId: string, result: IdentityResult): Promise<CaseRecord> {
  const record = await deps.cases.update(caseId, (draft) => {
    authorizeParty(principal, 'identity.verify', caseFacts(draft));
    assertCaseState(draft, ['in_session'], '记录人证核验结果');
    if (!draft.identity) throw new AppError('IDENTITY_CARD_NOT_READ', '申请人尚未在窗口读取身份证，请提示窗口工作人员读卡', 409, { caseId });
    const actor = actorOf(principal);
    draft.identity = { ...draft.identity, ...countChange(draft, 'clerk'), verdict: { result, at: deps.clock().toISOString(), by: actor.id, byName: principal.kind === 'staff' ? principal.name : actor.id } };
    return { actor, action: 'identity.verified', data: { result } };
  });
  notifyCase(deps, record);
  return record;
}
