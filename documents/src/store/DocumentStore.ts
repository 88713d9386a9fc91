import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '@rvw/signaling/errors/AppError';
import type { RedisClient } from '@rvw/signaling/store/redisClient';
import { toChinaTime } from '../time/toChinaTime.js';
import type { DocumentRecord } from './DocumentRecord.js';

// A number is claimed at most once. Single-key on purpose: it stays valid on Redis Cluster,
// where the record and the sha256 pointer live in different slots.
const CLAIM_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
`;

const FIELDS: ReadonlyArray<keyof DocumentRecord> = [
  'number', 'handle', 'sample', 'sha256', 'size', 'caseId', 'type', 'title', 'issuerRegion', 'issuerRegionName', 'issuerName',
  'signerSubject', 'issuedAt', 'issuedBy', 'applicantMasked', 'itemCode', 'itemName',
];

/**
 * A stored document is `reserved` (signed and on disk, its number claimed, but invisible: no
 * lookup returns it, /verify knows nothing) until {@link DocumentStore.publish}, or `withdrawn`
 * (its case refused it: the number stays used, the PDF is deleted). Absent = issued (older records).
 */
type DocumentState = 'reserved' | 'issued' | 'withdrawn';

/**
 * Issued documents: the signed PDFs on disk, content-addressed
 * (`<dataDir>/documents/<sha256[0:2]>/<sha256>.pdf`, written to a temp file, fsynced, renamed),
 * and their index in Redis (`doc:{number}` hash, `doc:sha:{sha256}` → number). Document numbers
 * `RVW-<region>-<yyyymmdd>-<seq>` come from a Redis counter per region and China calendar day.
 */
export class DocumentStore {
  readonly #root: string;

  constructor(
    private readonly redis: RedisClient,
    /** The service data directory; PDFs go under its `documents/` folder. */
    dataDir: string,
  ) {
    this.#root = path.join(dataDir, 'documents');
  }

  /** Allocates the next document number for `regionCode` on the China calendar day of `at`. */
  async allocateNumber(regionCode: string, at: Date): Promise<string> {
    const t = toChinaTime(at);
    const day = `${t.year}${String(t.month).padStart(2, '0')}${String(t.day).padStart(2, '0')}`;
    const key = `doc:seq:${regionCode}:${day}`;
    const seq = await this.redis.incr(key);
    // The counter is only needed during its day; two days covers clock skew between nodes.
    if (seq === 1) await this.redis.expire(key, 2 * 86_400);
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
    const full: DocumentRecord = { ...record, sha256, size: bytes.length };
    const state: DocumentState = opts.reserve ? 'reserved' : 'issued';
    const args = [...FIELDS.flatMap((field) => [field, String(full[field])]), 'state', state];
    if (opts.reserve) {
      const claimed = await this.redis.eval(CLAIM_SCRIPT, { keys: [`doc:${full.number}`], arguments: args });
      if (claimed !== 1) throw numberTaken(full.number);
      return full;
    }
    // Pointer first: a pointer to a number that was never claimed resolves to nothing, whereas a
    // record without its pointer would make the document unverifiable by upload. Both go in one
    // pipeline (same tick, one connection: executed in order, one AOF fsync round).
    const [, , claimed] = await Promise.all([
      this.redis.set(`doc:sha:${sha256}`, full.number),
      this.redis.set(`doc:handle:${full.handle}`, full.number),
      this.redis.eval(CLAIM_SCRIPT, { keys: [`doc:${full.number}`], arguments: args }),
    ]);
    if (claimed !== 1) {
      await this.redis.del([`doc:sha:${sha256}`, `doc:handle:${full.handle}`]);
      throw numberTaken(full.number);
    }
    return full;
  }

  /**
   * Makes a reserved document findable (by number, handle and SHA-256): its case has accepted it.
   * Pointers first, state last: until the state says issued, the pointers resolve to nothing.
   */
  async publish(record: Pick<DocumentRecord, 'number' | 'sha256' | 'handle'>): Promise<void> {
    await Promise.all([this.redis.set(`doc:sha:${record.sha256}`, record.number), this.redis.set(`doc:handle:${record.handle}`, record.number)]);
    await this.redis.hSet(`doc:${record.number}`, 'state', 'issued');
  }

  /**
   * Drops a reserved document its case refused: the number stays claimed (never reused, the gap
   * is explained by the `withdrawn` record), the signed PDF is deleted, nothing finds it.
   */
  async withdraw(record: Pick<DocumentRecord, 'number' | 'sha256'>): Promise<void> {
    await this.redis.hSet(`doc:${record.number}`, 'state', 'withdrawn');
    await rm(this.pathFor(record.sha256), { force: true });
  }

  /** The record of `number`, or undefined. */
  async get(number: string): Promise<DocumentRecord | undefined> {
    const hash = await this.redis.hGetAll(`doc:${number}`);
    return toRecord(hash);
  }

  /** The record with this public handle (the only way /verify opens a document), or undefined. */
  async getByHandle(handle: string): Promise<DocumentRecord | undefined> {
    if (!/^[A-Za-z0-9_-]{22,64}$/.test(handle)) return undefined;
    const number = await this.redis.get(`doc:handle:${handle}`);
    return number ? this.get(number) : undefined;
  }

  /** The record whose stored PDF has this SHA-256 (hex), or undefined. */
  async findBySha256(sha256: string): Promise<DocumentRecord | undefined> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return undefined;
    const number = await this.redis.get(`doc:sha:${sha256}`);
    return number ? this.get(number) : undefined;
  }

  /** The stored PDF bytes of a record; DOCUMENT_FILE_MISSING if the file is gone. */
  async readPdf(record: Pick<DocumentRecord, 'sha256' | 'number'>): Promise<Uint8Array> {
    try {
      return new Uint8Array(await readFile(this.pathFor(record.sha256)));
    } catch {
      throw new AppError('DOCUMENT_FILE_MISSING', `文书 ${record.number} 的存档文件缺失，请联系管理员 (stored PDF missing)`, 500, { number: record.number });
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

function numberTaken(number: string): AppError {
  return new AppError('DOCUMENT_NUMBER_TAKEN', `文书编号 ${number} 已被使用 (document number already issued)`, 409, { number });
}

function toRecord(hash: Record<string, string>): DocumentRecord | undefined {
  if (!hash.number || !hash.sha256) return undefined;
  // Reserved (not yet accepted by its case) and withdrawn documents do not exist for anyone.
  if (hash.state !== undefined && hash.state !== 'issued') return undefined;
  return {
    number: hash.number,
    handle: hash.handle ?? '',
    sample: hash.sample === 'true',
    sha256: hash.sha256,
    size: Number(hash.size ?? 0),
    caseId: hash.caseId ?? '',
    type: (hash.type ?? 'receipt') as DocumentRecord['type'],
    title: hash.title ?? '',
    issuerRegion: hash.issuerRegion ?? '',
    issuerRegionName: hash.issuerRegionName ?? '',
    issuerName: hash.issuerName ?? '',
    signerSubject: hash.signerSubject ?? '',
    issuedAt: hash.issuedAt ?? '',
    issuedBy: hash.issuedBy ?? '',
    applicantMasked: hash.applicantMasked ?? '',
    itemCode: hash.itemCode ?? '',
    itemName: hash.itemName ?? '',
  };
}
