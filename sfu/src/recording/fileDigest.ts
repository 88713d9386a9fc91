import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Streaming SHA-256 and size of a closed file (recordings can be large; never read whole). */
export async function fileDigest(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    const b = chunk as Buffer;
    bytes += b.length;
    hash.update(b);
  }
  return { sha256: hash.digest('hex'), bytes };
}
