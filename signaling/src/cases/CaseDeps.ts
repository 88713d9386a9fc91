import type { BlobStore } from '../blobs/BlobStore';
import type { CaseBudgets } from './CaseBudgets';
import type { CatalogStore } from '../catalog/CatalogStore';
import type { Logger } from '../observability/logger';
import type { QueueStore } from '../queue/QueueStore';
import type { Publish } from './CaseNotification';
import type { CaseNumbers } from './CaseNumbers';
import type { CaseStore } from './CaseStore';

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
}
