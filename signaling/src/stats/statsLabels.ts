import type { StaffStore } from '../auth/StaffStore.js';
import type { CatalogStore } from '../catalog/CatalogStore.js';
import type { StatsLabels } from './StatsReader.js';

/** Names from the catalogue and the staff list; a key nothing names any more shows as itself (已删除). */
export function statsLabels(catalog: CatalogStore, staff: Pick<StaffStore, 'getStaff'>): StatsLabels {
  const gone = (key: string) => `${key}（已删除）`;
  return {
    partnership: async (id) => (await catalog.get('partnership', id))?.name ?? gone(id),
    item: async (code) => (await catalog.get('item', code))?.name ?? gone(code),
    hall: async (id) => (await catalog.get('hall', id))?.name ?? gone(id),
    // Counters are named within their hall (each hall has its 1 号窗口): the hall's name goes first.
    counter: async (id) => {
      const counter = await catalog.get('counter', id);
      if (!counter) return gone(id);
      const hall = await catalog.get('hall', counter.hallId);
      return hall ? `${hall.name} ${counter.name}` : counter.name;
    },
    clerk: async (id) => (await staff.getStaff(id))?.name ?? gone(id),
  };
}
