import type { BrowserContext, ConsoleMessage } from 'playwright-core';

/**
 * Validation text that must never reach a person: zod/ajv phrases, regex sources, English error
 * codes or English explanations in brackets (the "(print token invalid)" style suffix).
 */
const ASCII_VALIDATION = [
  /invalid/i,
  /must match/i,
  /pattern/i,
  /expected/i,
  /required/i,
  /too (big|small|long|short)/i,
  /\bundefined\b|\bnull\b|\bNaN\b/,
  /\/\^|\\d|\\w|\$\//,
  /\b[A-Z]+_[A-Z_]+\b/,
  /\([a-z][a-z ,'-]{3,}\)/i,
  /error|failed|exception/i,
];

/** The first rule `text` breaks, if any. */
export function asciiValidationIn(text: string): RegExp | undefined {
  return ASCII_VALIDATION.find((re) => re.test(text));
}

/** What a page told the harness (through the binding the init script calls). */
interface Report {
  kind: 'csp' | 'print' | 'message';
  detail: string;
}

/**
 * Runs in every frame of every page before the page's own scripts: reports CSP violations,
 * every call of window.print (of the page or of an iframe's window), every message shown to the
 * person (toasts, alerts, form errors, status lines), and keeps every local media track so a
 * test can tell whether the camera and microphone were released.
 */
const INIT_SCRIPT = `(() => {
  const report = (kind, detail) => { try { window.__rvwJourney(kind, String(detail)); } catch {} };
  window.addEventListener('securitypolicyviolation', (e) => report('csp', e.violatedDirective + ' blocked ' + (e.blockedURI || '(inline)') + ' at ' + (e.sourceFile || location.href) + ':' + e.lineNumber), true);

  const where = (w) => { try { return w.location.href; } catch { return '(cross-origin)'; } };
  const wrapPrint = (w) => {
    try {
      if (!w || w.__rvwPrintWrapped) return;
      const original = w.print;
      w.__rvwPrintWrapped = true;
      // The print dialog itself is outside the page (and headless Chromium has none): the call
      // is recorded and not passed on, as a person would see the dialog open and confirm it.
      void original;
      w.print = function () { report('print', where(w)); };
    } catch {}
  };
  wrapPrint(window);
  // A page prints a frame through frame.contentWindow.print(): wrap that window's print as it is handed out.
  const cw = Object.getOwnPropertyDescriptor(HTMLIFrameElement.prototype, 'contentWindow');
  if (cw && cw.get) Object.defineProperty(HTMLIFrameElement.prototype, 'contentWindow', {
    configurable: true, enumerable: cw.enumerable,
    get() { const w = cw.get.call(this); wrapPrint(w); return w; },
  });

  const tracks = (window.__rvwTracks = []);
  const keep = (stream) => { for (const t of stream.getTracks()) tracks.push(t); return stream; };
  if (window.MediaDevices) {
    for (const name of ['getUserMedia', 'getDisplayMedia']) {
      const original = MediaDevices.prototype[name];
      if (original) MediaDevices.prototype[name] = function (...args) { return original.apply(this, args).then(keep); };
    }
  }
  if (window.MediaStreamTrack) {
    const clone = MediaStreamTrack.prototype.clone;
    MediaStreamTrack.prototype.clone = function () { const c = clone.call(this); tracks.push(c); return c; };
  }

  const SHOWN = '#toasts .toast, [role="alert"], .form-error, .toast, .error, #status, dialog[open] .hint, dialog[open] p';
  // Per element: a message is reported when it appears or changes, so a repeated toast counts again.
  const seen = new WeakMap();
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const scan = () => {
    for (const el of document.querySelectorAll(SHOWN)) {
      // The close button of a toast (×) is not part of what it says.
      const text = (el.innerText || '').replace(/×/g, '').trim();
      // Hidden again (a dialog's error line, a closed toast): the next showing is a new message.
      if (!text || !visible(el)) { seen.delete(el); continue; }
      if (seen.get(el) === text) continue;
      seen.set(el, text);
      report('message', text);
    }
  };
  new MutationObserver(scan).observe(document, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['class', 'hidden', 'open'] });
})();`;

/** Collects everything that must fail the test, for one person's browser profile. */
export class PageGuard {
  /** Console errors, page errors, CSP violations, ASCII validation text: each fails the walk. */
  readonly problems: string[] = [];
  /** Every message the pages showed, in order (for expectations and for the failure log). */
  readonly messages: string[] = [];
  /** URLs of the windows whose print() was called, in order. */
  readonly prints: string[] = [];
  /** Everything, for printing when a test fails. */
  readonly log: string[] = [];

  private constructor(readonly label: string) {}

  /** Installs the guard on a context before any page of it is opened. */
  static async install(context: BrowserContext, label: string): Promise<PageGuard> {
    const guard = new PageGuard(label);
    await context.exposeBinding('__rvwJourney', (_source, kind: Report['kind'], detail: string) => guard.onReport({ kind, detail }));
    await context.addInitScript({ content: INIT_SCRIPT });
    context.on('console', (m: ConsoleMessage) => {
      guard.log.push(`${m.type()}: ${m.text()}`);
      if (m.type() === 'error') guard.problems.push(`console error: ${m.text()} (${m.location().url})`);
    });
    context.on('weberror', (e) => {
      guard.log.push(`pageerror: ${e.error().message}`);
      guard.problems.push(`uncaught page error: ${e.error().message}`);
    });
    return guard;
  }

  private onReport(r: Report): void {
    this.log.push(`${r.kind}: ${r.detail}`);
    if (r.kind === 'csp') this.problems.push(`CSP violation: ${r.detail}`);
    if (r.kind === 'print') this.prints.push(r.detail);
    if (r.kind === 'message') {
      this.messages.push(r.detail);
      const rule = asciiValidationIn(r.detail);
      if (rule) this.problems.push(`message shown with ASCII validation text (${rule}): ${r.detail}`);
    }
  }

  /** Problems seen since the last call, each prefixed with the step where the walk was. */
  takeProblems(step: string): string[] {
    return this.problems.splice(0).map((p) => `[${this.label}] at step "${step}": ${p}`);
  }
}
