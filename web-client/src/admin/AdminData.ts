import { adminApi } from './adminApi';
import type { Counter, Hall, Partnership, PendingInvite, Region, ServiceItem, StaffView, Terminal } from './adminTypes';

/** The lists the admin page shows, as last loaded from the server. */
export interface AdminLists {
  regions: Region[];
  halls: Hall[];
  counters: Counter[];
  items: ServiceItem[];
  partnerships: Partnership[];
  terminals: Terminal[];
  staff: StaffView[];
  /** Invites not used yet (links that still work). */
  invites: PendingInvite[];
}

/** One list of {@link AdminLists}. */
export type ListName = keyof AdminLists;

const LOADERS: { [K in ListName]: () => Promise<AdminLists[K]> } = {
  regions: () => adminApi('GET', '/api/admin/regions'),
  halls: () => adminApi('GET', '/api/admin/halls'),
  counters: () => adminApi('GET', '/api/admin/counters'),
  items: () => adminApi('GET', '/api/admin/items'),
  partnerships: () => adminApi('GET', '/api/admin/partnerships'),
  terminals: async () => (await adminApi<{ counters: Terminal[] }>('GET', '/api/admin/terminals')).counters,
  staff: async () => (await adminApi<{ staff: StaffView[] }>('GET', '/api/admin/staff')).staff,
  invites: async () => (await adminApi<{ invites: PendingInvite[] }>('GET', '/api/admin/invites')).invites,
};

const ALL = Object.keys(LOADERS) as ListName[];

/**
 * The page's copy of the server's data. Every change is made on the server and then the affected
 * lists are reloaded (never patched locally), so what the tables show is what the server holds,
 * including what other administrators changed meanwhile.
 */
export class AdminData {
  readonly lists: AdminLists = { regions: [], halls: [], counters: [], items: [], partnerships: [], terminals: [], staff: [], invites: [] };
  readonly #listeners: (() => void)[] = [];

  /** Calls `listener` after every reload. */
  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /** Reloads the named lists (all when none is named), then notifies the listeners once. */
  async refresh(...names: ListName[]): Promise<void> {
    const wanted = names.length ? [...new Set(names)] : ALL;
    const loaded = await Promise.all(wanted.map(async (n) => [n, await LOADERS[n]()] as const));
    for (const [n, value] of loaded) (this.lists as unknown as Record<ListName, unknown>)[n] = value;
    for (const l of this.#listeners) l();
  }

  /** A region's name, or its code when the catalogue lacks it. */
  regionName(code: string): string {
    if (code === '*') return '全部地区';
    return this.lists.regions.find((r) => r.code === code)?.name ?? code;
  }

  /** A service item's name, or its code when the catalogue lacks it. */
  itemName(code: string): string {
    return this.lists.items.find((i) => i.code === code)?.name ?? code;
  }

  /** A hall's name, or its id. */
  hallName(id: string): string {
    return this.lists.halls.find((h) => h.id === id)?.name ?? id;
  }
}
