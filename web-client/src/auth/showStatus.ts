/** Shows a status line on an auth page; `data-state` (busy|ok|error|info) lets styles and tests read it. */
export function showStatus(el: HTMLElement, state: 'busy' | 'ok' | 'error' | 'info', text: string): void {
  el.dataset.state = state;
  el.textContent = text;
}
