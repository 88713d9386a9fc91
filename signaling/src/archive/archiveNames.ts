import type { StaffStore } from '../auth/StaffStore.js';
import type { CatalogStore } from '../catalog/CatalogStore.js';
import { statsLabels } from '../stats/statsLabels.js';

/** The names the archive shows instead of ids: catalogue entries and staff members. */
export interface ArchiveNames {
  partnership(id: string): Promise<string>;
  region(code: string): Promise<string>;
  item(code: string): Promise<string>;
  hall(id: string): Promise<string>;
  /** A counter within its hall, e.g. 吴江区行政服务中心 跨域通办窗口 1 号. */
  counter(id: string): Promise<string>;
  /** A staff member (clerk or administrator). */
  staff(id: string): Promise<string>;
}

/**
 * Names from the catalogue and the staff list, as the statistics name them (a key nothing names
 * any more shows as itself, 已删除), each looked up once per request: a page of results names the
 * same hall and clerk many times.
 */
export function archiveNames(catalog: CatalogStore, staff: Pick<StaffStore, 'getStaff'>): () => ArchiveNames {
  const labels = statsLabels(catalog, staff);
  return () => {
    const once = (lookup: (key: string) => Promise<string>) => {
      const seen = new Map<string, Promise<string>>();
      return (key: string) => {
        let name = seen.get(key);
        if (!name) seen.set(key, (name = lookup(key)));
        return name;
      };
    };
    return {
      partnership: once(labels.partnership),
      region: once(async (code) => (await catalog.get('region', code))?.name ?? code),
      item: once(labels.item),
      hall: once(labels.hall),
      counter: once(labels.counter),
      staff: once(labels.clerk),
    };
  };
}
