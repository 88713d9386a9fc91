import type { DocumentService, DocumentType, IssuedDocument } from '@rvw/documents';
import { authorizeClerkAction } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { assertCaseTakesDocuments } from '../cases/attachDocument.js';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import type { CaseService } from '../cases/CaseService.js';
import type { CatalogStore } from '../catalog/CatalogStore.js';
import { caseFacts } from '../cases/caseFacts.js';
import { buildDocumentInput } from './buildDocumentInput.js';
import type { PaymentHistorySource } from './PaymentHistorySource.js';

/** An issued document as the clerk's page gets it (the `document.issue` answer). */
export interface IssuedDocumentRef {
  number: string;
  type: DocumentType;
  sha256: string;
  signer: string;
  title: string;
  /** Built from demonstration data (watermarked; /verify says 演示数据). */
  sample?: boolean;
}

/** Dependencies of {@link issueDocument} and {@link previewDocument}. */
export interface IssueDocumentDeps {
  cases: Pick<CaseService, 'getCase' | 'attachDocument'>;
  catalog: CatalogStore;
  /** The serving region's social-insurance records (payment certificates). */
  payments: PaymentHistorySource;
  documents: Pick<DocumentService, 'issue' | 'preview'>;
  clock: () => Date;
  /** Tells the two sides of the case a document was issued (the node's notification route). */
  notifyIssued: (record: CaseRecord, doc: IssuedDocumentRef) => void;
  /** Counts an issued document (metrics). */
  onIssued?: (docType: DocumentType) => void;
}

/**
 * 签章出具: the clerk holding a case issues one document for it.
 *
 * Authorize (the policy: the holding clerk) → every refusal (the case takes documents: state and
 * per-case cap; the item issues this type; a 容缺 notice has waived materials) → act (number,
 * render, sign, store reserved) → record (the case takes the document: record entry and audit
 * event, its refusals re-checked in the conditional write; the document is withdrawn if that
 * fails, published only after) → notify. A number taken or a signature made cannot be taken
 * back, so nothing of the act happens before every check has passed.
 */
export async function issueDocument(deps: IssueDocumentDeps, principal: Principal, request: { caseId: string; docType: DocumentType }): Promise<IssuedDocumentRef> {
  const record = await deps.cases.getCase(request.caseId);
  authorizeClerkAction(principal, 'document.issue', { case: caseFacts(record) });

  assertCaseTakesDocuments(record, principal);
  const input = await buildDocumentInput(deps, principal, record, request.docType);

  const refOf = (d: IssuedDocument): IssuedDocumentRef => ({ number: d.number, type: request.docType, sha256: d.sha256, signer: d.signer, title: d.record.title, sample: d.record.sample });
  const issued = await deps.documents.issue(input, {
    accept: async (d) => {
      const ref = refOf(d);
      await deps.cases.attachDocument(principal, record.id, { number: ref.number, type: ref.type, sha256: ref.sha256, signer: ref.signer, ...(ref.sample ? { sample: true } : {}) });
    },
  });
  const ref = refOf(issued);
  deps.onIssued?.(request.docType);

  deps.notifyIssued(record, ref);
  return ref;
}

/**
 * The document {@link issueDocument} would issue, marked 预览 on every page: the same checks of
 * the type (offered by the item, 容缺 materials), nothing numbered, signed or stored.
 */
export async function previewDocument(deps: Pick<IssueDocumentDeps, 'catalog' | 'payments' | 'documents' | 'clock'>, principal: Principal, record: CaseRecord, docType: DocumentType): Promise<{ title: string; bytes: Uint8Array }> {
  authorizeClerkAction(principal, 'document.issue', { case: caseFacts(record) });
  return deps.documents.preview(await buildDocumentInput(deps, principal, record, docType));
}
