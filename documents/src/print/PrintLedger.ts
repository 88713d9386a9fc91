/** Print state of one document. */
export interface PrintStatus {
  printed: number;
  allowed: number;
  /** Loads since the last confirmed print or approval that were not confirmed as printed. */
  pendingLoads: number;
  reportedSuccess: number;
  reportedFailure: number;
}

/** What a print token is bound to. */
export interface PrintTokenBinding {
  number: string;
  counterId: string;
}

/** Why a token was not admitted. */
export type TokenRefusal = 'no_print_allowed' | 'load_budget_spent' | 'token_budget_spent';

/**
 * The storage port of printing: per-document print counters and single-use tokens in a shared
 * store (the signaling node provides a Redis adapter). Each operation is atomic on its own, so
 * two counters (or two nodes) racing on one document or one token cannot both win. A document
 * starts with one allowed print.
 */
export interface PrintLedger {
  /**
   * Counts one more token of `number` unless no print is allowed (printed ≥ allowed), `loadBudget`
   * unconfirmed loads were made, or `tokenBudget` tokens were handed out since the last print or approval.
   */
  admitToken(number: string, budgets: { loadBudget: number; tokenBudget: number }): Promise<TokenRefusal | undefined>;
  /** Stores a token, expiring after `ttlSeconds` unless loaded. */
  saveToken(token: string, binding: PrintTokenBinding, ttlSeconds: number): Promise<void>;
  /** What a live token is bound to, and whether it was loaded; undefined when unknown or expired. */
  readToken(token: string): Promise<(Partial<PrintTokenBinding> & { loaded: boolean }) | undefined>;
  /**
   * Marks a token loaded, once, keeping it `confirmSeconds` for its confirmation: `marked`,
   * `already` (loaded before) or `unknown` (never issued or expired).
   */
  markLoaded(token: string, confirmSeconds: number): Promise<'marked' | 'already' | 'unknown'>;
  /** Counts one unconfirmed load of `number`; false (nothing counted) once `loadBudget` are pending. */
  countLoad(number: string, loadBudget: number): Promise<boolean>;
  /** Deletes a loaded token and returns its binding; undefined when unknown, expired or not loaded. */
  takeLoaded(token: string): Promise<PrintTokenBinding | undefined>;
  /**
   * Counts a confirmed print if one is still allowed and clears the unconfirmed loads and tokens;
   * the new print count, or undefined when none was allowed.
   */
  countPrint(number: string): Promise<number | undefined>;
  /**
   * Allows exactly one more print beyond those made (approving twice before the reprint does not
   * allow two) and clears the unconfirmed loads and tokens; returns how many prints are available.
   */
  approveReprint(number: string): Promise<number>;
  /** Counts the counter's report of the physical print. */
  addReport(number: string, outcome: 'success' | 'failure'): Promise<void>;
  status(number: string): Promise<PrintStatus>;
}
