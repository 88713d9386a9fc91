import type { DocumentType, ServiceItem } from '@rvw/protocol/catalog';
import type { CaseRecord } from '@rvw/protocol/caseRecord';

/**
 * The documents a case may carry: the types its item issues, then its 申请表 when the item had a
 * form at opening (#18) — last, so the 出具文书 choice still opens on the item's first document.
 * One answer for that choice, issuing and attaching.
 */
export function documentTypesOf(item: Pick<ServiceItem, 'issuedDocuments'>, record: Pick<CaseRecord, 'form'>): DocumentType[] {
  return [...item.issuedDocuments.filter((t) => t !== 'application_form'), ...(record.form ? (['application_form'] as const) : [])];
}
