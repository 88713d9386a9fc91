/** Media types recognised by {@link sniffMime}. */
export type SniffedMime = 'image/jpeg' | 'image/png' | 'image/webp' | 'application/pdf';

/**
 * Recognises a file's media type from its leading bytes (magic numbers), so a material's declared
 * type is never taken on the client's word; undefined for anything else.
 */
export function sniffMime(bytes: Uint8Array): SniffedMime | undefined {
  const starts = (sig: number[], offset = 0) => bytes.length >= offset + sig.length && sig.every((b, i) => bytes[offset + i] === b);
  if (starts([0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return 'image/webp';
  if (starts([0x25, 0x50, 0x44, 0x46, 0x2d])) return 'application/pdf';
  return undefined;
}
