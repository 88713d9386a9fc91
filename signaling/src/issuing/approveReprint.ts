import { authorizeClerkAction } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { recordPrintEvent, requireDocument, type PrintDocumentDeps } from './printDocument.js';

/**
 * 批准重新打印: the clerk who issued a document allows its counter one more print (after a paper
 * jam, a lost copy). Authorize (the policy: the issuing clerk, still holding the case) → act (one
 * more print allowed, a fresh load budget; approving twice before the reprint still allows one)
 * → record (the case's print log and audit) → notify (with the record).
 */
export async function approveReprint(deps: PrintDocumentDeps, principal: Principal, number: string, body: { reason?: string }): Promise<{ available: number }> {
  const record = await requireDocument(deps.documents, number);
  authorizeClerkAction(principal, 'document.reprint', { case: await deps.caseFacts(record.caseId), document: { issuedBy: record.issuedBy } });

  const available = await deps.printTokens.approveReprint(record.number);

  await recordPrintEvent(deps, {
    type: 'reprint_approved',
    number: record.number,
    caseId: record.caseId,
    actor: { kind: 'clerk', staffId: principal.staffId },
    details: { available, ...(body.reason ? { reason: body.reason } : {}) },
  });
  return { available };
}
