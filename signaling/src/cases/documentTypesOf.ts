import type { DocumentType, ServiceItem } from '@rvw/protocol/catalog';
import type { CaseRecord } from '@rvw/protocol/caseRecord';

/**
 * The documents a case may carry: its 申请表 when its item had a form at opening (#18), then the
 * types the item issues. One answer for the 出具文书 choice, issuing and attaching.
 */
export function documentTypesOf(item: Pick<ServiceItem, 'issuedDocuments'>, record: Pick<CaseRecord, 'form'>): DocumentType[] {
  return [...(record.form ? (['application_form'] as const) : []), ...item.issuedDocuments.filter((t) => t !== 'application_form')];
}
