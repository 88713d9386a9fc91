import type { DocumentInputData, DocumentType } from '@rvw/documents';
import { fieldOwner, type ClerkPrincipal } from '../auth/policy.js';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import { documentTypesOf } from '../cases/documentTypesOf.js';
import { maskIdNumber } from '../cases/maskIdNumber.js';
import { maskPhone } from '../cases/maskPhone.js';
import { redactPersonalData } from '../cases/redactPersonalData.js';
import type { CatalogStore } from '../catalog/CatalogStore.js';
import { AppError } from '../errors/AppError.js';
import type { PaymentHistorySource } from './PaymentHistorySource.js';

/** The issuing authority printed for a region: the county/district government service bureau. */
export function authorityOf(regionName: string, docType: DocumentType): string {
  // 六安市霍邱县 → 霍邱县; 苏州市吴江区 → 吴江区
  const local = regionName.includes('市') && !regionName.endsWith('市') ? regionName.slice(regionName.indexOf('市') + 1) : regionName;
  return docType === 'payment_certificate' ? `${local}社会保险事业管理中心` : `${local}政务服务管理局`;
}

/** China-local calendar date (UTC+8, no DST) as YYYY-MM-DD. */
function chinaDate(d: Date): string {
  return new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

/**
 * The value of an authority-owned case field (written by the holding clerk alone, see
 * policy FIELD owners); the applicant side's fields never reach a signed document.
 */
function authorityField(record: CaseRecord, key: 'note' | 'result'): string | undefined {
  if (fieldOwner(key) !== 'authority') throw new Error(`field ${key} is not authority-owned`);
  const value = record.fields[key]?.trim();
  return value ? value : undefined;
}

/**
 * Builds the document service's input from a case: the record the use case already holds, the
 * catalogue for names, and (for payment certificates) the serving region's insurance records.
 * Only the masked ID number ever reaches the document. The issuing clerk is already authorized
 * (issueDocument); the refusals here are the document's own (type not offered, no 容缺 material).
 */
export async function buildDocumentInput(
  deps: { catalog: CatalogStore; payments: PaymentHistorySource; clock: () => Date },
  principal: ClerkPrincipal,
  record: CaseRecord,
  docType: DocumentType,
): Promise<DocumentInputData> {
  const item = await deps.catalog.require('item', record.itemCode);
  const allowed = documentTypesOf(item, record);
  if (!allowed.includes(docType)) {
    throw new AppError('DOCUMENT_TYPE_NOT_OFFERED', `事项「${item.name}」不出具该类文书`, 400, { allowed });
  }
  const region = await deps.catalog.require('region', record.servingRegion);
  const today = chinaDate(deps.clock());
  const note = authorityField(record, 'note');
  const result = authorityField(record, 'result');
  const acceptedOn = record.acceptedAt ? chinaDate(new Date(record.acceptedAt)) : today;
  const common = {
    caseId: record.id,
    ...(record.number ? { caseNumber: record.number } : {}),
    region: { code: region.code, name: region.name },
    authority: authorityOf(region.name, docType),
    applicant: { name: record.applicant.name, idNumberMasked: maskIdNumber(record.applicant.idNumber) },
    ...(record.agent ? { agent: { name: record.agent.name, idNumberMasked: maskIdNumber(record.agent.idNumber), relationship: record.agent.relationship } } : {}),
    ...(record.helper ? { helper: record.helper } : {}),
    item: { code: item.code, name: item.name },
    clerk: { staffId: principal.staffId, name: principal.name },
    fields: note ? [{ label: '办理意见', value: note.slice(0, 200) }] : [],
  };
  switch (docType) {
    case 'receipt':
      return {
        ...common,
        type: 'receipt',
        acceptedOn,
        promisedDays: Math.max(1, item.promisedDays),
        materials: record.checklist.filter((c) => c.status === 'provided').map((c) => c.name),
      };
    case 'missing_notice': {
      const waived = record.checklist.filter((c) => c.status === 'waived' && c.waiver);
      if (!waived.length) throw new AppError('NO_WAIVED_MATERIALS', '没有容缺受理的材料，无需出具容缺受理告知书', 409);
      const deadline = waived.map((c) => c.waiver!.deadline).sort().at(-1)!;
      // The notice states the real checklist: submitted, waived (with deadlines), still missing.
      return {
        ...common,
        type: 'missing_notice',
        acceptedOn,
        deadline,
        missing: waived.map((c) => ({ name: c.name, note: c.waiver!.note.slice(0, 120), deadline: c.waiver!.deadline })),
        submitted: record.checklist.filter((c) => c.status === 'provided').map((c) => c.name),
        stillMissing: record.checklist.filter((c) => c.mandatory && c.status === 'missing').map((c) => c.name),
      };
    }
    case 'payment_certificate': {
      const history = await deps.payments.lookup(record.applicant.idNumber, { code: region.code, name: region.name });
      return {
        ...common,
        type: 'payment_certificate',
        sample: history.sample === true,
        insuranceType: history.insuranceType,
        ...(history.employer ? { employer: history.employer } : {}),
        rows: history.periods.map((p) => ({ from: p.from, to: p.to, base: p.base, employerAmount: p.employerAmount, personalAmount: p.personalAmount, payer: p.payer })),
      };
    }
    case 'completion_notice':
      return {
        ...common,
        type: 'completion_notice',
        acceptedOn,
        completedOn: today,
        result: result?.slice(0, 300) ?? `您申请的「${item.name}」已办理完成。`,
        delivery: '由申请地跨域通办窗口打印出件',
      };
    case 'application_form':
      return { ...common, ...(await applicationForm(deps, record)), type: 'application_form' };
  }
}

/**
 * The 申请表's entries and confirmation. Refused while a required entry is empty
 * (FORM_INCOMPLETE), before the applicant has signed (CASE_SIGNATURE_REQUIRED), or when the form
 * was written after the signature (FORM_CHANGED_AFTER_SIGNATURE): the signed PDF says the
 * applicant confirmed exactly what it prints. Entries from the applicant print masked as the
 * other documents do; ID and mobile numbers inside typed entries are masked too.
 */
async function applicationForm(deps: { catalog: CatalogStore }, record: CaseRecord): Promise<{ entries: Array<{ label: string; value: string; required: boolean; confirm: boolean }>; confirmation: { signedAt: string; counterName: string; signatureSha256: string; consentSha256?: string } }> {
  const form = record.form!;
  const derived: Record<string, string> = {
    'applicant.name': record.applicant.name,
    'applicant.idNumber': maskIdNumber(record.applicant.idNumber),
    'applicant.phone': record.applicant.phone ? maskPhone(record.applicant.phone) : '',
  };
  const entries = form.fields.map((f) => ({
    label: f.label,
    value: f.source ? (derived[f.source] ?? '') : redactPersonalData(form.values[f.key]?.value ?? ''),
    required: f.required,
    confirm: f.confirm,
  }));
  const missing = entries.filter((e) => e.required && e.value === '').map((e) => e.label);
  if (missing.length > 0) throw new AppError('FORM_INCOMPLETE', `申请表尚有必填项未填写：${missing.join('、')}`, 409, { missing });
  // 帮办代办: an agent signs for the applicant only on the applicant's recorded consent.
  const consent = record.agent ? record.checklist.find((c) => c.materialId === 'power_of_attorney') : undefined;
  if (record.agent && !(consent?.status === 'provided' && consent.blobSha256)) {
    throw new AppError('AGENT_CONSENT_MISSING', '代办人代为签字确认前，须留存申请人签字的授权委托书：请将委托书放在高拍仪下拍照留存', 409);
  }
  const confirmed = form.confirmed;
  if (!confirmed || confirmed.signatureSha256 !== record.applicantSignatureSha256) {
    throw new AppError('CASE_SIGNATURE_REQUIRED', '申请人尚未签字确认申请表，请提示申请人在窗口核对后签字', 409);
  }
  if (confirmed.changes !== form.changes) {
    throw new AppError('FORM_CHANGED_AFTER_SIGNATURE', '申请表在申请人签字后又有修改，请申请人核对后重新签字确认', 409, { confirmedChanges: confirmed.changes, changes: form.changes });
  }
  const counter = await deps.catalog.get('counter', record.counterId);
  const hall = counter ? await deps.catalog.get('hall', counter.hallId) : undefined;
  const counterName = counter && hall ? `${hall.name}（${counter.name}）` : record.counterId;
  return {
    entries,
    confirmation: { signedAt: confirmed.at, counterName: counterName.slice(0, 80), signatureSha256: confirmed.signatureSha256, ...(consent?.blobSha256 ? { consentSha256: consent.blobSha256 } : {}) },
  };
}
