import type { z } from 'zod';
import { AppError } from '../errors/AppError';

/**
 * Parses untrusted input with a schema; a refusal becomes AppError `VALIDATION_FAILED` (400) listing
 * every problem in `details.issues`, so callers at every edge answer malformed input the same way.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  throw new AppError('VALIDATION_FAILED', `输入不合法，请检查后重试 (${summary})`, 400, { issues });
}
