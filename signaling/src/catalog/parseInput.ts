import type { z } from 'zod';
import { AppError } from '../errors/AppError.js';
import { describeInvalidInput } from '@rvw/protocol/describeInvalidInput';

/**
 * Parses untrusted input with a schema; a refusal becomes AppError `VALIDATION_FAILED` (400) listing
 * every problem in `details.issues`, so callers at every edge answer malformed input the same way.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  // The person reads what to do about the field; the schema's own words stay in details for the log.
  throw new AppError('VALIDATION_FAILED', describeInvalidInput(result.error.issues), 400, { issues });
}
