import type { RequestOf, RequestType } from '../protocol.js';
import type { Connection } from './Connection.js';

/** Handles one request type; returns the response `data` or throws an AppError/SfuError. */
export type Handler<T extends RequestType> = (conn: Connection, request: RequestOf<T>) => Promise<unknown>;

/**
 * One handler per request type. The mapped type makes a missing handler a compile error, the
 * same guarantee as a `switch` with an exhaustiveness check.
 */
export type HandlerTable = { [T in RequestType]: Handler<T> };
