import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../errors/AppError.js';

/** The other nodes' copies (the cluster's NodeFiles): who holds a blob, and fetching one this node lacks. */
export interface RemoteBlobs {
  held(kind: 'blob', sha256: string): Promise<void>;
  /** The checked bytes from a holder; undefined when no other node holds it. */
  fetch(kind: 'blob', sha256: string): Promise<Uint8Array | undefined>;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The result of storing bytes. */
export interface StoredBlob {
  /** Lower-case hex SHA-256 of the content; also its name on disk. */
  sha256: string;
  size: number;
  /** True when identical content was already stored and nothing was written. */
  deduplicated: boolean;
}

/**
 * Content-addressed files under `<dataDir>/blobs/<sha[0:2]>/<sha>`: materials, signatures and
 * issued documents. A blob is written to a temp file, fsynced and renamed into place, so a reader
 * never sees a partial file, and it is durable before the case record (AOF-always) refers to it.
 */
export class BlobStore {
  readonly #root: string;
  readonly #tmp: string;
  readonly #remote: RemoteBlobs | undefined;

  private constructor(root: string, remote: RemoteBlobs | undefined) {
    this.#root = root;
    this.#tmp = path.join(root, 'tmp');
    this.#remote = remote;
  }

  /**
   * Creates the store, making `<dataDir>/blobs` (and its temp dir) if missing. With `remote`, what
   * it stores is announced to the cluster and what it lacks is fetched from the node that has it
   * (a material captured in one region, looked at in the other).
   */
  static async create(opts: { dataDir: string; remote?: RemoteBlobs }): Promise<BlobStore> {
    const store = new BlobStore(path.resolve(opts.dataDir, 'blobs'), opts.remote);
    await mkdir(store.#tmp, { recursive: true });
    return store;
  }

  /** Stores bytes (deduplicated by content) and returns their SHA-256. */
  async put(bytes: Uint8Array): Promise<StoredBlob> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const final = this.pathOf(sha256);
    if (await exists(final)) {
      await this.#remote?.held('blob', sha256);
      return { sha256, size: bytes.byteLength, deduplicated: true };
    }
    const tmp = path.join(this.#tmp, `${sha256}.${randomUUID()}`);
    const file = await open(tmp, 'wx', 0o640);
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    const dir = path.dirname(final);
    try {
      await mkdir(dir, { recursive: true });
      // Concurrent puts of the same content each rename an identical file: last one wins, harmlessly.
      await rename(tmp, final);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    await syncDirectory(dir);
    await this.#remote?.held('blob', sha256);
    return { sha256, size: bytes.byteLength, deduplicated: false };
  }

  /**
   * The stored bytes — fetched from the node holding them (and kept here) when this node has none;
   * refuses BLOB_NOT_FOUND (404), or FILE_UNAVAILABLE (503) when its holders cannot deliver.
   */
  async get(sha256: string): Promise<Buffer> {
    const local = await this.getLocal(sha256);
    if (local) return local;
    const fetched = await this.#remote?.fetch('blob', sha256);
    if (!fetched) throw new AppError('BLOB_NOT_FOUND', `文件 ${sha256} 不存在`, 404, { sha256 });
    await this.put(fetched);
    return Buffer.from(fetched);
  }

  /** This node's own copy, or undefined (never asks another node). */
  async getLocal(sha256: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.pathOf(sha256));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** True when a blob with this hash is stored. */
  has(sha256: string): Promise<boolean> {
    return exists(this.pathOf(sha256));
  }

  /** The file path of a blob (whether or not it exists); refuses anything but a hex SHA-256. */
  pathOf(sha256: string): string {
    // The hash becomes a path: anything else could walk out of the store.
    if (!SHA256_HEX.test(sha256)) throw new AppError('BLOB_INVALID_HASH', '文件标识应为 64 位小写十六进制 SHA-256', 400);
    return path.join(this.#root, sha256.slice(0, 2), sha256);
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

// The rename itself is durable only once its directory entry is flushed.
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
