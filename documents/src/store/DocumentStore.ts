import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { DocumentError } from '../errors/DocumentError.js';
import { toChinaTime } from '../time/toChinaTime.js';
import type { DocumentIndex } from './DocumentIndex.js';
import type { DocumentRecord } from './DocumentRecord.js';
import type { RemoteDocuments } from './RemoteDocuments.js';

/** Options of {@link DocumentStore}. */
export interface DocumentStoreOptions {
  /** The shared index (numbers, records, look-ups); the signaling node passes its Redis adapter. */
  index: DocumentIndex;
  /** The service data directory; PDFs go under its `documents/` folder. */
  dataDir: string;
  /** Other nodes' copies: a PDF this node lacks is fetched from the node that issued it. */
  remote?: RemoteDocuments;
}

/**
 * Issued documents: the signed PDFs on disk, content-addressed
 * (`<dataDir>/documents/<sha256[0:2]>/<sha256>.pdf`, written to a temp file, fsynced, renamed),
 * and their entries in the {@link DocumentIndex}. Document numbers are
 * `RVW-<region>-<yyyymmdd>-<seq>`, one sequence per region and China calendar day.
 *
 * A stored document is `reserved` (signed and on disk, its number claimed, but invisible: no
 * lookup returns it, /verify knows nothing) until {@link DocumentStore.publish}, or `withdrawn`
 * (its case refused it: the number stays used, the PDF is deleted).
 */
export class DocumentStore {
  readonly #root: string;
  readonly #index: DocumentIndex;
  readonly #remote: RemoteDocuments | undefined;

  constructor(options: DocumentStoreOptions) {
    this.#index = options.index;
    this.#remote = options.remote;
    this.#root = path.join(options.dataDir, 'documents');
  }

  /** Allocates the next document number for `regionCode` on the China calendar day of `at`. */
  async allocateNumber(regionCode: string, at: Date): Promise<string> {
    const t = toChinaTime(at);
    const day = `${t.year}${String(t.month).padStart(2, '0')}${String(t.day).padStart(2, '0')}`;
    const seq = await this.#index.nextSequence(regionCode, day);
    return `RVW-${regionCode}-${day}-${String(seq).padStart(6, '0')}`;
  }

  /**
   * Stores the signed bytes and indexes them; DOCUMENT_NUMBER_TAKEN if the number already exists.
   * With `reserve`, the number is claimed and the PDF kept, but nothing finds the document until
   * {@link publish} (or {@link withdraw} drops it): a signature that no case accepted never verifies.
   */
  async save(record: Omit<DocumentRecord, 'sha256' | 'size'>, bytes: Uint8Array, opts: { reserve?: boolean } = {}): Promise<DocumentRecord> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await this.#writeFile(sha256, bytes);
    await this.#remote?.held('document', sha256);
    const full: DocumentRecord = { ...record, sha256, size: bytes.length };
    if (!(await this.#index.create(full, opts.reserve ? 'reserved' : 'issued'))) throw numberTaken(full.number);
    return full;
  }

  /** Makes a reserved document findable (by number, handle and SHA-256): its case has accepted it. */
  async publish(record: Pick<DocumentRecord, 'number' | 'sha256' | 'handle'>): Promise<void> {
    await this.#index.publish(record);
  }

  /**
   * Drops a reserved document its case refused: the number stays claimed (never reused, the gap
   * is explained by the `withdrawn` record), the signed PDF is deleted, nothing finds it.
   */
  async withdraw(record: Pick<DocumentRecord, 'number' | 'sha256'>): Promise<void> {
    await this.#index.withdraw(record.number);
    await rm(this.pathFor(record.sha256), { force: true });
  }

  /** The record of `number`, or undefined. Reserved and withdrawn documents do not exist for anyone. */
  async get(number: string): Promise<DocumentRecord | undefined> {
    const entry = await this.#index.get(number);
    return entry?.state === 'issued' ? entry.record : undefined;
  }

  /** The record with this public handle (the only way /verify opens a document), or undefined. */
  async getByHandle(handle: string): Promise<DocumentRecord | undefined> {
    if (!/^[A-Za-z0-9_-]{22,64}$/.test(handle)) return undefined;
    const number = await this.#index.numberOf({ handle });
    return number ? this.get(number) : undefined;
  }

  /** The record whose stored PDF has this SHA-256 (hex), or undefined. */
  async findBySha256(sha256: string): Promise<DocumentRecord | undefined> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return undefined;
    const number = await this.#index.numberOf({ sha256 });
    return number ? this.get(number) : undefined;
  }

  /**
   * The stored PDF bytes of a record — from the node that issued it (and kept here) when this node
   * has no copy; DOCUMENT_FILE_MISSING if no node has it.
   */
  async readPdf(record: Pick<DocumentRecord, 'sha256' | 'number'>): Promise<Uint8Array> {
    const local = await this.readLocal(record.sha256);
    if (local) return local;
    const fetched = await this.#remote?.fetch('document', record.sha256);
    if (fetched && createHash('sha256').update(fetched).digest('hex') === record.sha256) {
      await this.#writeFile(record.sha256, fetched);
      return fetched;
    }
    throw missing(record.number);
  }

  /** This node's own copy of the PDF, or undefined (never asks another node). */
  async readLocal(sha256: string): Promise<Uint8Array | undefined> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return undefined;
    try {
      return new Uint8Array(await readFile(this.pathFor(sha256)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** Path of the PDF with this SHA-256. */
  pathFor(sha256: string): string {
    return path.join(this.#root, sha256.slice(0, 2), `${sha256}.pdf`);
  }

  async #writeFile(sha256: string, bytes: Uint8Array): Promise<void> {
    const target = this.pathFor(sha256);
    const existing = await stat(target).catch(() => undefined);
    if (existing?.size === bytes.length) return; // same content, same address
    const dir = path.dirname(target);
    await mkdir(dir, { recursive: true });
    const temp = path.join(dir, `.${sha256}.${randomBytes(6).toString('hex')}.tmp`);
    const file = await open(temp, 'wx', 0o640);
    try {
      await file.writeFile(bytes);
      // The Redis index is durable (AOF always); the file it points to must be too.
      await file.sync();
    } catch (e) {
      await file.close();
      await rm(temp, { force: true });
      throw e;
    }
    await file.close();
    await rename(temp, target);
  }
}

function missing(number: string): DocumentError {
  return new DocumentError('DOCUMENT_FILE_MISSING', `文书 ${number} 的存档文件缺失，请联系管理员 (stored PDF missing)`, { number });
}

function numberTaken(number: string): DocumentError {
  return new DocumentError('DOCUMENT_NUMBER_TAKEN', `文书编号 ${number} 已被使用 (document number already issued)`, { number });
}
