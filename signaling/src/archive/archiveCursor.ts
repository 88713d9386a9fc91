import { AppError } from '../errors/AppError.js';

/**
 * A place in the archive's order: newest first by createdAt (epoch ms), and among cases opened
 * in the same millisecond by id, descending (bytewise, as the archive's `COLLATE "C"` orders them).
 */
export interface ArchivePosition {
  at: number;
  id: string;
}

/** The cursor handed to the page: `<ms>:<id>`, opaque to it. */
export function encodeCursor(p: ArchivePosition): string {
  return `${p.at}:${p.id}`;
}

/** The position a cursor names (the schema already checked its shape). */
export function decodeCursor(cursor: string): ArchivePosition {
  const i = cursor.indexOf(':');
  const at = Number(cursor.slice(0, i));
  if (i < 1 || !Number.isSafeInteger(at)) throw new AppError('VALIDATION_FAILED', '翻页位置无效，请重新查询', 400, { issues: [{ path: 'cursor', message: 'invalid' }] });
  return { at, id: cursor.slice(i + 1) };
}
