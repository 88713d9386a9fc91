import { z } from 'zod';
import { ItemCode, RegionCode } from '@rvw/protocol/catalog';
import { CaseState } from '@rvw/protocol/caseRecord';

/**
 * What the case service tells the WebSocket layer after a committed change; it fans them out to
 * both regions' sockets (see notifications/Notifications). Sent after the write, so a receiver that
 * re-reads sees the new state.
 */
export const CaseNotification = z.discriminatedUnion('type', [
  /** A queue gained or lost a case: clerks of servingRegion handling itemCode refresh their list. */
  z.strictObject({ type: z.literal('queue.changed'), servingRegion: RegionCode, partnershipId: z.string(), itemCode: ItemCode }),
  /** A case has a new version: its counter and its clerk (if any) refresh it. */
  z.strictObject({
    type: z.literal('case.changed'),
    caseId: z.string(),
    version: z.number().int(),
    state: CaseState,
    /** Routing hints, so the fan-out needs no extra read. */
    counterId: z.string(),
    clerkId: z.string().optional(),
    servingRegion: RegionCode,
    applicantRegion: RegionCode,
    itemCode: ItemCode,
  }),
]);
/** A notification from the case service. */
export type CaseNotification = z.infer<typeof CaseNotification>;

/** The callback the case service publishes through; it must not throw (failures are logged and dropped). */
export type Publish = (event: CaseNotification) => void;
