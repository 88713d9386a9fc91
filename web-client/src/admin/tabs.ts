import { byId } from '../ui/dom';

/** The tabs of the admin page (the `data-tab` values of admin.html). */
export const TABS = ['regions', 'halls', 'items', 'partnerships', 'staff', 'stats', 'archive'] as const;
/** A tab of the admin page. */
export type Tab = (typeof TABS)[number];

/**
 * Tab switching: one `#tab-<name>` panel visible at a time. The open tab lives in the address
 * (`#tab=items`), so a reload or a shared link opens the same tab. `onSelect` hears every switch,
 * the first one included, for tabs that work only while seen (the statistics' charts and polling).
 */
export function setupTabs(onSelect: (tab: Tab) => void = () => undefined): void {
  const nav = byId('tabs');
  const select = (tab: Tab) => {
    for (const t of TABS) byId(`tab-${t}`).classList.toggle('hidden', t !== tab);
    for (const b of nav.querySelectorAll<HTMLButtonElement>('button[data-tab]')) {
      const on = b.dataset.tab === tab;
      b.classList.toggle('active', on);
      b.setAttribute('aria-selected', String(on));
    }
    history.replaceState(null, '', `#tab=${tab}`);
    onSelect(tab);
  };
  nav.addEventListener('click', (ev) => {
    const tab = (ev.target as HTMLElement).closest<HTMLButtonElement>('button[data-tab]')?.dataset.tab;
    if (tab && (TABS as readonly string[]).includes(tab)) select(tab as Tab);
  });
  const fromHash = /^#tab=(\w+)$/.exec(location.hash)?.[1];
  select(fromHash && (TABS as readonly string[]).includes(fromHash) ? (fromHash as Tab) : 'regions');
}
