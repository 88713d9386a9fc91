// @rvw/protocol: the contract between the pages and the nodes. This entry is browser-safe and
// carries no runtime schema: vocabulary and error codes as plain constants, messages as types.
// The zod schemas the server validates with at the edge are in './messages.js' (parseClientFrame),
// './caseRecord.js' and './catalog.js'; the one WebSocket client is './client/SignalClient.js'.
export * from './vocabulary.js';
export * from './errors.js';
export type { ClientRequest, RequestOf, RequestPayload, RequestType, ServerMessage, ServerNotification, ServerResponse, ConsumerWire } from './messages.js';
export type * from './responses.js';
