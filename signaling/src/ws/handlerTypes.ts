import type { RequestOf, RequestType } from '@rvw/protocol/messages';
import type { ResponseOf } from '@rvw/protocol/responses';
import type { Connection } from './Connection.js';

/**
 * Handles one request type; returns the response `data` the protocol declares for it
 * (@rvw/protocol/responses) or throws an AppError/SfuError.
 */
export type Handler<T extends RequestType> = (conn: Connection, request: RequestOf<T>) => Promise<ResponseOf<T>>;

/**
 * One handler per request type. The mapped type makes a missing handler a compile error, the
 * same guarantee as a `switch` with an exhaustiveness check.
 */
export type HandlerTable = { [T in RequestType]: Handler<T> };
