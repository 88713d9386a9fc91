import type { StaffPrincipal } from './Principal.js';
import type { StaffRecord } from './StaffStore.js';

/** The principal of a (live, enabled) staff record. */
export function toStaffPrincipal(s: StaffRecord): StaffPrincipal {
  return s.role === 'admin'
    ? { kind: 'staff', role: 'admin', staffId: s.id, name: s.name, regionCodes: [...s.regionCodes] }
    : { kind: 'staff', role: 'clerk', staffId: s.id, name: s.name, regionCode: s.regionCode, itemCodes: [...s.itemCodes] };
}
