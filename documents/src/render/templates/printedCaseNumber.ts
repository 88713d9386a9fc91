import type { DocumentInput } from '../../DocumentInput.js';

/** The case number a document prints: the human 办件编号 when the case has one, else its id. */
export function printedCaseNumber(input: Pick<DocumentInput, 'caseId' | 'caseNumber'>): string {
  return input.caseNumber ?? input.caseId;
}
