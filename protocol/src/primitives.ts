import { z } from 'zod';

/** A lower-case hex SHA-256 digest. */
export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, '应为 64 位小写十六进制 SHA-256');

/** Human case number (办件编号): `<serving region>-<YYYYMMDD>-<seq>`. */
export const CASE_NUMBER_PATTERN = /^\d{6}-\d{8}-\d{4,}$/;

/** A case field name: starts with a letter; letters, digits, `_`, `.` and `-`. */
export const FieldKey = z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, '字段名只能包含字母、数字、_ . -，且以字母开头');
/** A case field value. */
export const FieldValue = z.string().max(2000);
