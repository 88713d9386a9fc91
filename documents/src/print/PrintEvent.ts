/** Something that happened to a document's printing; the integrator writes it into the case audit. */
export interface PrintEvent {
  type: 'print_token_issued' | 'printed' | 'print_reported' | 'reprint_approved';
  number: string;
  caseId: string;
  actor: { kind: 'counter'; counterId: string } | { kind: 'clerk'; staffId: string };
  /** ISO 8601 instant. */
  at: string;
  details: Record<string, string | number | boolean>;
}
