import { actorOf } from '../audit/actorOf.js';
import { authorizeWithReason, requireCounter } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { parseInput } from '../catalog/parseInput.js';
import type { CaseDeps } from '../cases/CaseDeps.js';
import { OpenCaseInput } from '../cases/CaseInputs.js';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import { maskIdNumber } from '../cases/maskIdNumber.js';
import { notifyCase } from '../cases/notifyCase.js';
import { AppError } from '../errors/AppError.js';
import { RECORDING_NOTICE_VERSION } from '@rvw/protocol/recordingNotice';
import { isWithinServiceHours } from './isWithinServiceHours.js';
import { queueKey } from './queueKey.js';

/** The checklist lines a case gains when an agent acts for the applicant (帮办代办, #18). */
export const AGENT_MATERIALS = [
  { materialId: 'agent_id_card', name: '代办人居民身份证', mandatory: true },
  { materialId: 'power_of_attorney', name: '授权委托书（申请人签字）', mandatory: true },
] as const;

/**
 * Open a case: a counter opens one for the applicant in front of it. Authorize (a counter terminal,
 * standing where the catalogue registered it) → check the offer (the partnership active, the item
 * offered to the counter's region, within service hours when enforced) → reserve the counter's
 * waiting place and take the day's number → record (the case `queued` with the item's checklist,
 * its audit event and its queue entry in one atomic write) → notify.
 */
export async function openCase(deps: CaseDeps, principal: Principal, input: OpenCaseInput): Promise<CaseRecord> {
  requireCounter(principal, 'case.open');
  const req = parseInput(OpenCaseInput, input);
  const counter = await deps.catalog.require('counter', principal.counterId);
  const hall = await deps.catalog.require('hall', counter.hallId);
  authorizeWithReason(principal, 'counter.act', { registration: { counterId: counter.id, hallId: hall.id, regionCode: hall.regionCode } });

  const partnership = await deps.catalog.require('partnership', req.partnershipId);
  if (!partnership.active) {
    throw new AppError('PARTNERSHIP_INACTIVE', `合作关系“${partnership.name}”已停用，暂不能办理`, 409, { partnershipId: partnership.id });
  }
  const offer = partnership.offers.find((o) => o.applicantRegion === principal.regionCode);
  if (!offer || !offer.itemCodes.includes(req.itemCode)) {
    throw new AppError('ITEM_NOT_OFFERED', `合作地区未向本地区开放此事项（${req.itemCode}）`, 409, {
      partnershipId: partnership.id,
      itemCode: req.itemCode,
      applicantRegion: principal.regionCode,
    });
  }
  const now = deps.clock();
  if (deps.enforceServiceHours && !isWithinServiceHours(partnership.serviceHours, now)) {
    const windows = partnership.serviceHours.windows.map((w) => `${w.start}–${w.end}`).join('、');
    throw new AppError('OUTSIDE_SERVICE_HOURS', `当前不在服务时间内（北京时间 ${windows}），请在服务时间内办理`, 409, {
      serviceHours: partnership.serviceHours,
    });
  }
  // Recorded calls: nothing of the applicant is sent anywhere before they agreed to the notice
  // they were shown, in its current wording; a crafted join without it opens nothing.
  if (deps.recording && req.recordingConsent?.noticeVersion !== RECORDING_NOTICE_VERSION) {
    throw new AppError('RECORDING_CONSENT_REQUIRED', '本业务全程录音录像，须申请人阅读录音录像告知并同意后才能办理；如页面已过期，请刷新后重新开始', 409, {
      noticeVersion: RECORDING_NOTICE_VERSION,
    });
  }
  // 帮办代办: someone acts for the applicant, never the applicant themself under another hat.
  if (req.agent && req.agent.idNumber === req.applicant.idNumber) {
    throw new AppError('AGENT_IS_APPLICANT', '代办人不能是申请人本人；申请人本人办理时请不要填写代办人', 400);
  }
  const item = await deps.catalog.require('item', req.itemCode);
  // The case about to be created, as the policy sees it: this counter's own, for its own region.
  authorizeWithReason(principal, 'case.open', { case: { servingRegion: offer.servingRegion, applicantRegion: offer.applicantRegion, counterId: counter.id, itemCode: item.code } });

  const id = deps.newId();
  // One terminal cannot fill the clerks' queue: its place is reserved before the number is taken.
  await deps.budgets?.reserveWaiting(principal.counterId, id, now, async (ids) => (await deps.cases.getMany(ids)).map((r) => r?.state === 'queued'));
  let record: CaseRecord;
  try {
    // Taken only after every check passed: a refused request leaves no gap in the day's numbers.
    const number = await deps.numbers.next(offer.servingRegion, now);
    record = await deps.cases.insert(
      {
        id,
        number,
        state: 'queued',
        partnershipId: partnership.id,
        itemCode: item.code,
        itemName: item.name,
        servingRegion: offer.servingRegion,
        applicantRegion: offer.applicantRegion,
        hallId: hall.id,
        counterId: counter.id,
        applicant: req.applicant,
        ...(req.agent ? { agent: req.agent } : {}),
        ...(req.helper ? { helper: req.helper } : {}),
        fields: req.fields ?? {},
        checklist: [
          ...item.materials.map((m) => ({ materialId: m.id, name: m.name, mandatory: m.mandatory, status: 'missing' as const })),
          // Acting for someone needs the agent's own ID card and the applicant's signed 授权委托书 (their consent).
          ...(req.agent ? AGENT_MATERIALS.filter((m) => !item.materials.some((x) => x.id === m.materialId)).map((m) => ({ ...m, status: 'missing' as const })) : []),
        ],
        materials: [],
        documents: [],
        chat: [],
        ratings: {},
        // The item's form as it is now: an administrator's later edit does not move entries under a call.
        ...(item.form.length > 0 ? { form: { fields: item.form, values: {}, changes: 0, changesBySide: { counter: 0, clerk: 0 } } } : {}),
        ...(deps.recording ? { recordingConsent: { noticeVersion: RECORDING_NOTICE_VERSION, at: now.toISOString(), retentionDays: deps.recording.retentionDays } } : {}),
      },
      {
        actor: actorOf(principal),
        action: 'case.opened',
        data: {
          number,
          partnershipId: partnership.id,
          itemCode: item.code,
          servingRegion: offer.servingRegion,
          applicant: { name: req.applicant.name, idNumber: maskIdNumber(req.applicant.idNumber) },
          ...(req.agent ? { agent: { name: req.agent.name, idNumber: maskIdNumber(req.agent.idNumber), relationship: req.agent.relationship } } : {}),
          ...(req.helper ? { helper: req.helper } : {}),
          fields: req.fields ?? {},
          // The applicant's consent to being recorded, as part of opening: one atomic event.
          ...(deps.recording ? { recordingConsent: { noticeVersion: RECORDING_NOTICE_VERSION, retentionDays: deps.recording.retentionDays } } : {}),
        },
        queue: { key: queueKey({ partnershipId: partnership.id, servingRegion: offer.servingRegion, itemCode: item.code }), op: 'add', score: now.getTime() },
      },
    );
  } catch (e) {
    await deps.budgets?.releaseWaiting(principal.counterId, id).catch(() => undefined);
    throw e;
  }
  notifyCase(deps, record, { queueChanged: true });
  return record;
}
