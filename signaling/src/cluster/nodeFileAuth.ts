import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The header a node signs its file requests to another node with. */
export const NODE_AUTH_HEADER = 'x-rvw-node-auth';

/** What a signed file request names; the signature covers all of it. */
export interface NodeFileRequest {
  kind: string;
  sha256: string;
  /** The asking node. */
  nodeId: string;
  /** Sent at (ms since the epoch). */
  at: number;
  nonce: string;
}

function mac(secret: string, r: NodeFileRequest): Buffer {
  return createHmac('sha256', secret).update(`rvw-node-file\n${r.kind}\n${r.sha256}\n${r.nodeId}\n${r.at}\n${r.nonce}`).digest();
}

/** The header value for a request from `nodeId` for one file: `<nodeId>:<at>:<nonce>:<hmac>`. */
export function signNodeFileRequest(secret: string, kind: string, sha256: string, nodeId: string, at: number): string {
  const nonce = randomBytes(12).toString('hex');
  return [nodeId, at, nonce, mac(secret, { kind, sha256, nodeId, at, nonce }).toString('hex')].join(':');
}

/**
 * Reads and checks a header for the file it asks for. Undefined when malformed or the signature is
 * not the cluster's; freshness and replay are the caller's (they need a clock and shared memory).
 */
export function verifyNodeFileRequest(secret: string, kind: string, sha256: string, header: string | undefined): NodeFileRequest | undefined {
  const parts = header?.split(':');
  if (parts?.length !== 4) return undefined;
  const [nodeId = '', atText = '', nonce = '', sig = ''] = parts;
  const at = Number(atText);
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(nodeId) || !Number.isSafeInteger(at) || !/^[0-9a-f]{24}$/.test(nonce) || !/^[0-9a-f]{64}$/.test(sig)) return undefined;
  const request = { kind, sha256, nodeId, at, nonce };
  return timingSafeEqual(mac(secret, request), Buffer.from(sig, 'hex')) ? request : undefined;
}
