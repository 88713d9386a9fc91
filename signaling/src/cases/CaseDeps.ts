import type { BlobStore } from '../blobs/BlobStore.js';
import type { CaseBudgets } from './CaseBudgets.js';
import type { CatalogStore } from '../catalog/CatalogStore.js';
import type { Logger } from '../observability/logger.js';
import type { QueueStore } from '../queue/QueueStore.js';
import type { Publish } from './CaseNotification.js';
import type { CaseNumbers } from './CaseNumbers.js';
import type { CaseStore } from './CaseStore.js';
import type { StaffStore } from '../auth/StaffStore.js';

/** What every case use case gets handed: repositories, the clock and the publish callback — nothing global. */
export interface CaseDeps {
  cases: CaseStore;
  /** Allocates human case numbers (办件编号). */
  numbers: CaseNumbers;
  catalog: CatalogStore;
  blobs: BlobStore;
  queues: QueueStore;
  clock: () => Date;
  publish: Publish;
  /** When false, cases may be opened outside the partnership's service hours (demos, tests). */
  enforceServiceHours: boolean;
  newId: () => string;
  log: Logger;
  /** Cases waiting per counter and material bytes (config.budgets); unlimited when absent. */
  budgets?: CaseBudgets;
  /** Staff records (the colleague a case is transferred to); absent: no transfer possible. */
  staff?: Pick<StaffStore, 'getStaff' | 'listStaff'>;
  /**
   * Calls are recorded (config.recording): a case opens only with the applicant's consent to the
   * current notice, and the retention it promised is kept with the consent. Absent: not recorded.
   */
  recording?: { retentionDays: number };
}
