import { z } from 'zod';

/** Document number as accepted in URLs and requests (same alphabet as issued numbers). */
export const DocumentNumberSchema = z.string().regex(/^[A-Z0-9][A-Z0-9-]{5,63}$/);

/** A document's public handle as it appears in `/verify/{handle}` (base64url, ≥ 128 bits). */
export const DocumentHandleSchema = z.string().regex(/^[A-Za-z0-9_-]{22,64}$/);
