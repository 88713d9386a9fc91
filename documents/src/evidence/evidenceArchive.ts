import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import type { MemberDigest } from './checkMembers.js';
import { MANIFEST_PATH, MANIFEST_SIGNATURE_PATH } from './EvidenceManifest.js';

/**
 * A case's evidence bundle as a plain tar archive (POSIX ustar/pax, readable by any `tar`): the
 * members are written into a staging directory first (recordings are copied there as files,
 * never held in memory), then packed in the manifest's order, manifest and signature first.
 */
export class EvidenceArchiveWriter {
  readonly #dir: string;
  readonly #paths: string[] = [];

  constructor(stagingDir: string) {
    this.#dir = stagingDir;
  }

  /** Stages one member from bytes; returns its digest. */
  async add(memberPath: string, bytes: Uint8Array): Promise<MemberDigest> {
    const file = await this.#place(memberPath);
    await writeFile(file, bytes);
    return { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.byteLength };
  }

  /** Stages one member from a stream (a recording), hashing it as it is copied. */
  async addStream(memberPath: string, source: Readable): Promise<MemberDigest> {
    const file = await this.#place(memberPath);
    const hash = createHash('sha256');
    let size = 0;
    source.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      size += chunk.byteLength;
    });
    await pipeline(source, createWriteStream(file));
    return { sha256: hash.digest('hex'), size };
  }

  /** The archive: the manifest and its signature first (a reader meets them before the members), then the members as staged. */
  pack(): Readable {
    const first = [MANIFEST_PATH, MANIFEST_SIGNATURE_PATH].filter((p) => this.#paths.includes(p));
    const order = [...first, ...this.#paths.filter((p) => !first.includes(p))];
    return tar.create({ cwd: this.#dir, portable: true, noDirRecurse: true }, order) as unknown as Readable;
  }

  async #place(memberPath: string): Promise<string> {
    if (!isSafeMemberPath(memberPath)) throw new Error(`unsafe member path ${memberPath}`);
    const file = path.join(this.#dir, memberPath);
    await mkdir(path.dirname(file), { recursive: true });
    this.#paths.push(memberPath);
    return file;
  }
}

/** A member path as bundles use them: relative, forward slashes, no `..`, no leading dot. */
export function isSafeMemberPath(p: string): boolean {
  return /^[A-Za-z0-9_-][A-Za-z0-9_.-]*(\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$/.test(p) && !p.split('/').includes('..');
}

/** What reading a bundle found. */
export interface EvidenceArchiveContents {
  /** Every regular-file member, measured as it streamed. */
  digests: Map<string, MemberDigest>;
  /** The bytes of the members `keep` asked for (manifest, signature, records, PDFs). */
  kept: Map<string, Uint8Array>;
  /** Entries that are not plain files or whose path is unsafe (links, devices, `../x`): never extracted. */
  rejected: string[];
}

/**
 * Reads a bundle without extracting anything to disk: each member is hashed as it streams and
 * only the ones `keep` names are kept in memory (up to `maxKeptBytes` each). A member listed twice
 * counts as a rejected entry (a second copy could hide behind the first).
 */
export async function readEvidenceArchive(file: string, options: { keep: (memberPath: string) => boolean; maxKeptBytes?: number }): Promise<EvidenceArchiveContents> {
  const maxKept = options.maxKeptBytes ?? 64 * 1024 * 1024;
  const out: EvidenceArchiveContents = { digests: new Map(), kept: new Map(), rejected: [] };
  const parser = new tar.Parser({ strict: false });
  const done: Promise<void>[] = [];
  parser.on('entry', (entry: tar.ReadEntry) => {
    const memberPath = entry.path;
    if (entry.type !== 'File' || !isSafeMemberPath(memberPath) || out.digests.has(memberPath)) {
      out.rejected.push(memberPath);
      entry.resume();
      return;
    }
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let size = 0;
    const keep = options.keep(memberPath);
    entry.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      size += chunk.byteLength;
      if (keep && size <= maxKept) chunks.push(chunk);
    });
    done.push(
      new Promise<void>((resolve) =>
        entry.on('end', () => {
          out.digests.set(memberPath, { sha256: hash.digest('hex'), size });
          if (keep && size <= maxKept) out.kept.set(memberPath, new Uint8Array(Buffer.concat(chunks)));
          resolve();
        }),
      ),
    );
  });
  await pipeline(createReadStream(file), parser as unknown as NodeJS.WritableStream);
  await Promise.all(done);
  return out;
}
