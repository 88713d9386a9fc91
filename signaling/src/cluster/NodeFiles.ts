import { createHash } from 'node:crypto';
import { AppError } from '../errors/AppError.js';
import type { Logger } from '../observability/logger.js';
import type { RedisClient } from '../store/redisClient.js';
import { NODE_AUTH_HEADER, signNodeFileRequest } from './nodeFileAuth.js';

/** What a node stores content-addressed and other nodes may need: materials and signatures (blob), issued PDFs (document). */
export type NodeFileKind = 'blob' | 'document';

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
