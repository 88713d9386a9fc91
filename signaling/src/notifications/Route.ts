import { z } from 'zod';
import type { ServerNotification } from '@rvw/protocol/messages';

/** The facts of a case a route carries, so no receiver re-reads the case to decide who gets it. */
export const RouteCaseFacts = z.strictObject({
  servingRegion: z.string(),
  applicantRegion: z.string(),
  counterId: z.string(),
  itemCode: z.string(),
  clerkId: z.string().optional(),
});

/**
 * Who a notification is for: the routing hints every node's Hub delivers by, through its indexes.
 *
 * - `case`: every socket that follows the case (subscribed to it, in its call, or linked to it),
 *   and the holding clerk's queue-watching sockets (a case transferred to them).
 * - `parties`: the two sides' sockets following the case (its counter, its clerk), each entitled
 *   to read the chat by the policy on the carried facts.
 * - `session`: the sockets in a media session or linked to it, except the peer it came from.
 * - `queue`: clerks of servingRegion watching the queue and entitled to the item, and the
 *   counters with a case waiting in that queue.
 */
export const Route = z.discriminatedUnion('audience', [
  z.strictObject({ audience: z.literal('case'), caseId: z.string(), case: RouteCaseFacts }),
  z.strictObject({ audience: z.literal('parties'), caseId: z.string(), case: RouteCaseFacts }),
  z.strictObject({ audience: z.literal('session'), sessionId: z.string(), exceptPeerId: z.string().optional() }),
  z.strictObject({ audience: z.literal('queue'), servingRegion: z.string(), itemCode: z.string() }),
]);
/** Routing hints of one notification. */
export type Route = z.infer<typeof Route>;
/** The case facts in a route. */
export type RouteCaseFacts = z.infer<typeof RouteCaseFacts>;

/** The notifications that travel between nodes (the others are addressed to one socket). */
export type RoutedNotification = Exclude<ServerNotification, { type: 'hello' | 'auth.revoked' | 'consumers.new' | 'consumer.closed' | 'score' }>;

/** The types of {@link RoutedNotification}, checked on what arrives from the bus. */
export const ROUTED_TYPES: ReadonlySet<string> = new Set<RoutedNotification['type']>([
  'peer.joined',
  'peer.left',
  'producer.new',
  'producer.closed',
  'media.reset',
  'session.ended',
  'queue.changed',
  'case.changed',
  'chat.message',
  'document.issued',
  'doc.marks',
]);

/** A notification and its route, as one bus message. */
export interface Routed {
  message: RoutedNotification;
  route: Route;
}
