import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { AppError } from '../errors/AppError.js';
import type { Logger } from '../observability/logger.js';
import type { RedisClient } from '../store/redisClient.js';
import { NODE_AUTH_HEADER, signNodeFileRequest } from './nodeFileAuth.js';

/**
 * What a node stores content-addressed and other nodes may need: materials and signatures (blob),
 * issued PDFs (document), recorded segments (recording: large, so streamed to disk, see download).
 */
export type NodeFileKind = 'blob' | 'document' | 'recording';

/** Which nodes hold a file (field: node id, value: the node's internal origin). No TTL: it lives as long as the file. */
export const fileHoldersKey = (kind: NodeFileKind, sha256: string): string => `rvw:files:${kind}:${sha256}`;

/** Options of {@link NodeFiles}. */
export interface NodeFilesOptions {
  redis: RedisClient;
  nodeId: string;
  /** The cluster secret: requests are signed with it, as the node bus's messages are. */
  secret: string;
  /** Where other nodes reach this node's HTTP server (RVW_INTERNAL_ORIGIN, else where it listens). */
  origin: () => string;
  logger: Logger;
  /** How long the holders get to answer (default 10 s). */
  timeoutMs?: number;
}

/**
 * Files across nodes. Each region runs its own disks: a material is captured on the counter's
 * node, a PDF issued on the clerk's. A node records that it holds a file when it stores one; a node
 * that lacks a file asks its holders over HTTP, signed with the cluster secret, checks the bytes
 * against the SHA-256 they are named by, and keeps its own copy (the caller stores it). Bytes never
 * travel through Redis; Redis only says who holds what.
 */
export class NodeFiles {
  readonly #o: NodeFilesOptions;

  constructor(options: NodeFilesOptions) {
    this.#o = options;
  }

  /** Records that this node holds the file. */
  async held(kind: NodeFileKind, sha256: string): Promise<void> {
    await this.#o.redis.hSet(fileHoldersKey(kind, sha256), this.#o.nodeId, this.#o.origin());
  }

  /**
   * The file's bytes from another node that holds it, checked against `sha256`; undefined when no
   * other node is recorded as holding it. FILE_UNAVAILABLE (503) when holders exist but none
   * delivered (down, unreachable, or sent other bytes). All holders are asked at once and the
   * first good answer wins (the others are aborted): a holder whose machine is gone would
   * otherwise hold the print for its whole timeout before a live one is asked.
   */
  async fetch(kind: NodeFileKind, sha256: string): Promise<Uint8Array | undefined> {
    const holders = Object.entries(await this.#o.redis.hGetAll(fileHoldersKey(kind, sha256))).filter(([nodeId]) => nodeId !== this.#o.nodeId);
    if (!holders.length) return undefined;
    // One deadline for all (they run at once); the first good answer aborts the rest.
    const done = new AbortController();
    const deadline = setTimeout(() => done.abort(), this.#o.timeoutMs ?? 10_000);
    try {
      return await Promise.any(
        holders.map(async ([nodeId, origin]) => {
          try {
            const bytes = await this.#ask(origin, kind, sha256, done.signal);
            if (createHash('sha256').update(bytes).digest('hex') === sha256) return bytes;
            this.#o.logger.error({ nodeId, kind, sha256 }, 'a node sent a file whose bytes do not match its hash');
            throw new Error('hash mismatch');
          } catch (err) {
            if (!done.signal.aborted) this.#o.logger.warn({ err, nodeId, origin, kind, sha256 }, 'file not fetched from holder');
            throw err;
          }
        }),
      );
    } catch {
      throw new AppError('FILE_UNAVAILABLE', '文件暂时无法从对方区域取得，请稍后重试', 503, { kind, sha256 });
    } finally {
      clearTimeout(deadline);
      done.abort();
    }
  }

  /** Records that this node no longer holds the file (deleted after its retention). */
  async dropped(kind: NodeFileKind, sha256: string): Promise<void> {
    await this.#o.redis.hDel(fileHoldersKey(kind, sha256), this.#o.nodeId);
  }

  /**
   * A large file from another node that holds it, streamed into `file` (never whole in memory) and
   * checked against `sha256` on the way; the file appears only when the bytes match. Holders are
   * tried one after another (a recording usually has one: the node that recorded it). Returns
   * false when no other node holds it; FILE_UNAVAILABLE when holders exist but none delivered.
   */
  async download(kind: NodeFileKind, sha256: string, file: string): Promise<boolean> {
    const holders = Object.entries(await this.#o.redis.hGetAll(fileHoldersKey(kind, sha256))).filter(([nodeId]) => nodeId !== this.#o.nodeId);
    if (!holders.length) return false;
    const partial = `${file}.${randomBytes(6).toString('hex')}.part`;
    for (const [nodeId, origin] of holders) {
      // The timeout bounds the wait for an answer; a stream that has started may take its time.
      const answered = new AbortController();
      const timer = setTimeout(() => answered.abort(), this.#o.timeoutMs ?? 10_000);
      try {
        const response = await fetch(`${origin}/internal/files/${kind}/${sha256}`, {
          headers: { [NODE_AUTH_HEADER]: signNodeFileRequest(this.#o.secret, kind, sha256, this.#o.nodeId, Date.now()) },
          signal: answered.signal,
          redirect: 'error',
        });
        clearTimeout(timer);
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        const hash = createHash('sha256');
        const hashing = new Transform({
          transform(chunk: Buffer, _enc, done) {
            hash.update(chunk);
            done(null, chunk);
          },
        });
        await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), hashing, createWriteStream(partial));
        if (hash.digest('hex') !== sha256) {
          this.#o.logger.error({ nodeId, kind, sha256 }, 'a node sent a file whose bytes do not match its hash');
          throw new Error('hash mismatch');
        }
        await rename(partial, file);
        return true;
      } catch (err) {
        clearTimeout(timer);
        await rm(partial, { force: true });
        this.#o.logger.warn({ err, nodeId, origin, kind, sha256 }, 'file not downloaded from holder');
      }
    }
    throw new AppError('FILE_UNAVAILABLE', '文件暂时无法从对方节点取得，请稍后重试', 503, { kind, sha256 });
  }

  async #ask(origin: string, kind: NodeFileKind, sha256: string, done: AbortSignal): Promise<Uint8Array> {
    const response = await fetch(`${origin}/internal/files/${kind}/${sha256}`, {
      headers: { [NODE_AUTH_HEADER]: signNodeFileRequest(this.#o.secret, kind, sha256, this.#o.nodeId, Date.now()) },
      signal: done,
      redirect: 'error',
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }
}
