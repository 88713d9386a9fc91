import { randomBytes } from 'node:crypto';
import { DocumentError } from '../errors/DocumentError.js';
import type { PrintLedger, PrintStatus } from './PrintLedger.js';

/**
 * How many times a document may be loaded at the counter without a confirmed print before the
 * issuing clerk has to approve again: enough to retry a frame that failed to show the PDF, too few
 * to turn the print endpoint into an unlimited download.
 */
export const LOAD_BUDGET = 3;

/**
 * Tokens a counter may ask for between two confirmed prints (or approvals): every token is an
 * audit event of the case, so an endless stream of unused ones is refused too.
 */
export const TOKEN_BUDGET = 10;

/** Seconds a loaded token stays confirmable: the print dialog may stay open for a while. */
const CONFIRM_WINDOW_SECONDS = 600;

/** A token as handed out: 24 random bytes, base64url. */
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{32}$/;

const reprintNeeded = (number: string) =>
  new DocumentError('REPRINT_NOT_APPROVED', '该文书已打印，再次打印须经出具文书的工作人员批准，请联系异地窗口工作人员', { number });
const tokenInvalid = () => new DocumentError('PRINT_TOKEN_INVALID', '打印凭证无效、已过期或已使用，请重新点击“打印”');
const loadLimit = (number: string) =>
  new DocumentError('PRINT_LOAD_LIMIT', '该文书已多次载入但未完成打印，请联系出具文书的工作人员批准后再打印', { number, budget: LOAD_BUDGET });

/** Options of {@link PrintTokens}. */
export interface PrintTokensOptions {
  ledger: PrintLedger;
  /** Seconds a token stays usable before it is loaded (120 by default). */
  ttlSeconds?: number;
}

/**
 * Print entitlements and single-use print tokens. A document may be printed once; every further
 * print needs a reprint approval by the issuing clerk. A token (short TTL) loads the PDF once
 * (which is not a print: the frame may still fail to show it) and is then confirmed once, when
 * the counter has opened the print dialog: only that counts.
 */
export class PrintTokens {
  readonly #ledger: PrintLedger;
  readonly #ttlSeconds: number;

  constructor(options: PrintTokensOptions) {
    this.#ledger = options.ledger;
    this.#ttlSeconds = options.ttlSeconds ?? 120;
  }

  /** Seconds a token stays usable before it is loaded. */
  get ttlSeconds(): number {
    return this.#ttlSeconds;
  }

  /**
   * Issues a token for the counter; REPRINT_NOT_APPROVED when the allowed prints are used up,
   * PRINT_LOAD_LIMIT when the document was loaded too often (or too many tokens were asked for)
   * without a confirmed print.
   */
  async issue(number: string, counterId: string): Promise<{ token: string; expiresInSeconds: number; reprint: boolean }> {
    const status = await this.status(number);
    const refused = await this.#ledger.admitToken(number, { loadBudget: LOAD_BUDGET, tokenBudget: TOKEN_BUDGET });
    if (refused === 'no_print_allowed') throw reprintNeeded(number);
    if (refused) throw loadLimit(number);
    const token = randomBytes(24).toString('base64url');
    await this.#ledger.saveToken(token, { number, counterId }, this.#ttlSeconds);
    return { token, expiresInSeconds: this.#ttlSeconds, reprint: status.printed > 0 };
  }

  /** The document and counter of a token that has not been loaded yet; PRINT_TOKEN_INVALID otherwise. */
  async peek(token: string): Promise<{ number: string; counterId: string }> {
    const held = TOKEN_FORMAT.test(token) ? await this.#ledger.readToken(token) : undefined;
    if (!held?.number || !held.counterId || held.loaded) throw tokenInvalid();
    return { number: held.number, counterId: held.counterId };
  }

  /**
   * Marks the token loaded (once; concurrent loads get PRINT_TOKEN_INVALID) and spends one load of
   * the document's budget (PRINT_LOAD_LIMIT when none is left). Loading never counts as a print.
   */
  async markLoaded(token: string, number: string): Promise<void> {
    if ((await this.#ledger.markLoaded(token, CONFIRM_WINDOW_SECONDS)) !== 'marked') throw tokenInvalid();
    if (!(await this.#ledger.countLoad(number, LOAD_BUDGET))) throw loadLimit(number);
  }

  /**
   * Takes a loaded token of `number` for its confirmation (exactly once) and counts the print;
   * PRINT_TOKEN_INVALID when it is malformed, unknown, expired, used or was never loaded, FORBIDDEN
   * when another counter holds it or it is another document's, REPRINT_NOT_APPROVED if no print is
   * allowed any more.
   */
  async confirm(token: string, number: string, counterId: string): Promise<{ printCount: number }> {
    if (!TOKEN_FORMAT.test(token)) throw tokenInvalid();
    const held = await this.#ledger.readToken(token);
    // Checked before taking it, so another counter (or a token of another document) cannot burn it.
    // The token's own binding, not a decision about the person: that one the caller's policy made.
    if (held?.number && (held.number !== number || held.counterId !== counterId)) {
      throw new DocumentError('FORBIDDEN', '该打印凭证不属于本窗口终端或本文书');
    }
    const taken = await this.#ledger.takeLoaded(token);
    if (!taken || taken.number !== number) throw tokenInvalid();
    return { printCount: await this.countPrint(number) };
  }

  /** Counts one confirmed print; REPRINT_NOT_APPROVED if none is allowed any more. Returns the print count. */
  async countPrint(number: string): Promise<number> {
    const count = await this.#ledger.countPrint(number);
    if (count === undefined) throw reprintNeeded(number);
    return count;
  }

  /** Allows one more print of `number`; returns how many prints are now available. */
  async approveReprint(number: string): Promise<number> {
    return this.#ledger.approveReprint(number);
  }

  /** Records the counter's report of the physical print. */
  async recordReport(number: string, outcome: 'success' | 'failure'): Promise<void> {
    await this.#ledger.addReport(number, outcome);
  }

  /** Current print state of `number`. */
  async status(number: string): Promise<PrintStatus> {
    return this.#ledger.status(number);
  }
}
