import { requestJson } from '../../auth/requestJson';
import { byId, messageFor, toast } from '../../ui/dom';

/**
 * Prints documents from the counter page's print frame, one at a time: a token loads the PDF
 * (not a print yet), the frame must really show a PDF, the print dialog opens, and only then the
 * print is confirmed (counted). A PDF that does not load is the system's failure, reported as
 * such, and uses up no print.
 */
export class DocumentPrinter {
  #printing = false;

  async print(number: string, button: HTMLButtonElement): Promise<void> {
    if (this.#printing) return;
    this.#printing = true;
    button.disabled = true;
    const path = `/api/documents/${encodeURIComponent(number)}`;
    try {
      let token: string;
      try {
        ({ token } = await requestJson<{ token: string }>('POST', `${path}/print-token`, {}));
      } catch (e) {
        toast(messageFor(e, '暂时不能打印，请稍后重试；如仍不行，请联系大厅技术人员'), 'error');
        return;
      }
      const frame = byId<HTMLIFrameElement>('print-frame');
      if (!(await loadIntoFrame(frame, `/api/print/${encodeURIComponent(token)}`))) {
        await requestJson('POST', `${path}/print-report`, { outcome: 'failure', reason: '系统未能载入文书' }).catch(() => undefined);
        toast('系统未能载入文书，本次未计打印次数。请再点一次“打印”；如仍不行，请联系大厅技术人员或系统管理员。', 'error');
        return;
      }
      try {
        frame.contentWindow?.print();
      } catch {
        toast('未能打开打印对话框，本次未计打印次数。请再点一次“打印”；如仍不行，请联系大厅技术人员。', 'error');
        return;
      }
      try {
        await requestJson('POST', `${path}/print-confirm`, { token });
        toast('已发送到打印机');
      } catch (e) {
        toast(messageFor(e, '打印已发出，但未能登记打印次数，请告知工作人员'), 'error');
      }
    } finally {
      this.#printing = false;
      button.disabled = false;
    }
  }

  /** The last applicant's PDF must not stay loaded in the print frame. */
  clear(): void {
    byId<HTMLIFrameElement>('print-frame').src = 'about:blank';
  }
}

/** Loads `url` into the frame; true only when the frame then shows a PDF (not an error page). */
function loadIntoFrame(frame: HTMLIFrameElement, url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const finish = (ok: boolean) => {
      window.clearTimeout(timer);
      frame.onload = null;
      resolve(ok);
    };
    const timer = window.setTimeout(() => finish(false), 20_000);
    frame.onload = () => {
      let type: string | undefined;
      try {
        type = frame.contentDocument?.contentType;
      } catch {
        type = undefined;
      }
      finish(type === 'application/pdf');
    };
    frame.src = url;
  });
}

/**
 * Prints so far and whether another is allowed, replayed from the case's print log the way the
 * server counts (one print, plus one per approval not yet used). The server still decides; this
 * only keeps the button from offering what would be refused.
 */
export function printState(log: { event: string }[]): { printed: number; mayPrint: boolean } {
  let printed = 0;
  let allowed = 1;
  for (const e of log) {
    if (e.event === 'printed') printed++;
    if (e.event === 'reprint_approved') allowed = Math.max(allowed, printed + 1);
  }
  return { printed, mayPrint: printed < allowed };
}
