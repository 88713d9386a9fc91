import express, { type Router } from 'express';
import type { Logger } from '../observability/logger.js';
import type { RedisClient } from '../store/redisClient.js';
import type { NodeFileKind } from './NodeFiles.js';
import { NODE_AUTH_HEADER, verifyNodeFileRequest } from './nodeFileAuth.js';

/** Options of {@link createNodeFilesRouter}. */
export interface NodeFilesRouterOptions {
  secret: string;
  redis: RedisClient;
  /** This node's own copy of a file, never another node's (no request chains). */
  readLocal(kind: NodeFileKind, sha256: string): Promise<Uint8Array | undefined>;
  /** Where this node keeps a large file it holds (recordings), sent streamed; undefined: not here. */
  localFile?(kind: NodeFileKind, sha256: string): Promise<string | undefined>;
  logger: Logger;
  /** Requests older or further in the future than this are refused (default 30 s). */
  replayWindowMs?: number;
  clock?: () => number;
}

const KINDS: readonly NodeFileKind[] = ['blob', 'document', 'recording'];

/**
 * `GET /internal/files/:kind/:sha256` for the other nodes of the cluster: answered only to a request
 * signed with the cluster secret, fresh, and never seen before (its nonce is remembered in Redis for
 * the replay window, so a captured request cannot be played again against any node). Browsers
 * have no business here; a refusal says nothing about whether the file exists.
 */
export function createNodeFilesRouter(options: NodeFilesRouterOptions): Router {
  const router = express.Router();
  const windowMs = options.replayWindowMs ?? 30_000;
  const now = options.clock ?? Date.now;
  router.get('/internal/files/:kind/:sha256', async (req, res) => {
    const kind = KINDS.find((k) => k === req.params.kind);
    const sha256 = String(req.params.sha256);
    const refuse = (reason: string) => {
      options.logger.warn({ reason, kind: req.params.kind, from: req.socket.remoteAddress }, 'node file request refused');
      // Not a principal's access (the policy module's): the caller did not prove it is a node.
      res.status(401).json({ ok: false, error: { code: 'UNAUTHENTICATED', message: '节点间请求未通过认证' } });
    };
    if (!kind || !/^[0-9a-f]{64}$/.test(sha256)) return refuse('malformed');
    const request = verifyNodeFileRequest(options.secret, kind, sha256, req.get(NODE_AUTH_HEADER));
    if (!request) return refuse('bad_signature');
    if (Math.abs(now() - request.at) > windowMs) return refuse('stale');
    const fresh = await options.redis.set(`rvw:files:nonce:${request.nonce}`, request.nodeId, { NX: true, PX: windowMs * 2 });
    if (fresh !== 'OK') return refuse('replayed');
    const file = await options.localFile?.(kind, sha256);
    if (file) {
      res.sendFile(file, { headers: { 'content-type': 'application/octet-stream', 'cache-control': 'no-store' }, dotfiles: 'allow' });
      return;
    }
    const bytes = await options.readLocal(kind, sha256);
    if (!bytes) {
      res.status(404).json({ ok: false, error: { code: 'NOT_FOUND', message: '本节点没有该文件' } });
      return;
    }
    res.set({ 'content-type': 'application/octet-stream', 'cache-control': 'no-store' }).send(Buffer.from(bytes));
  });
  return router;
}
