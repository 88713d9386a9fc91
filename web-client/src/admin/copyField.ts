import { byId, toast } from '../ui/dom';

/**
 * Makes `buttonId` copy the value of the read-only input `inputId`. The Clipboard API needs a
 * secure context and permission; where it is refused the text is selected and copied the old way,
 * and if even that fails it stays selected for Ctrl+C.
 */
export function wireCopyButton(buttonId: string, inputId: string): void {
  byId(buttonId).addEventListener('click', async () => {
    const input = byId<HTMLInputElement>(inputId);
    input.focus();
    input.select();
    try {
      await navigator.clipboard.writeText(input.value);
      toast('已复制到剪贴板');
    } catch {
      // execCommand is deprecated but is the only fallback for plain-http intranet deployments.
      const copied = document.execCommand('copy');
      toast(copied ? '已复制到剪贴板' : '请按 Ctrl+C 复制已选中的内容', copied ? 'info' : 'error');
    }
  });
}
