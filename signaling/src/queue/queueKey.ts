/** Identifies one queue: an item in one direction of a partnership (an item may be offered both ways). */
export interface QueueRef {
  partnershipId: string;
  servingRegion: string;
  itemCode: string;
}

/** The Redis sorted set of one queue (case id → enqueue time in ms). */
export function queueKey(q: QueueRef): string {
  return `queue:${q.partnershipId}:${q.servingRegion}:${q.itemCode}`;
}
