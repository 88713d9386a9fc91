import type { StaffScope } from './StaffStore.js';

/** The regions a staff scope belongs to: an admin's `regionCodes`, a clerk's `[regionCode]`. */
export function staffRegions(scope: StaffScope): string[] {
  return scope.role === 'admin' ? [...scope.regionCodes] : [scope.regionCode];
}
