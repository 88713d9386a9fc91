import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Signer } from '../pki/Signer.js';
import { buildCadesSignature } from '../signing/buildCadesSignature.js';

/** What a member of an evidence bundle is, so a verifier knows how to check it beyond its hash. */
export type EvidenceRole = 'case_record' | 'audit_chain' | 'material' | 'chat' | 'signature' | 'document' | 'recording';

export interface EvidenceMember {
  path: string;
  role: EvidenceRole;
  /** SHA-256, lowercase hex. */
  sha256: string;
  size: number;
}

/** `manifest.json` of a case's evidence bundle; `manifest.json.p7s` is a detached CMS over its bytes. */
export interface EvidenceManifest {
  format: 'rvw-evidence/1';
  caseNumber: string;
  regions: string[];
  exportedAt: string;
  exporter: string;
  members: EvidenceMember[];
}

export const MANIFEST_PATH = 'manifest.json';
export const MANIFEST_SIGNATURE_PATH = 'manifest.json.p7s';

/** The manifest's member entry for in-memory bytes (large recordings are hashed while streamed). */
export function describeMember(path: string, role: EvidenceRole, bytes: Uint8Array): EvidenceMember {
  return { path, role, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.byteLength };
}

/** The exact bytes that are signed and stored: member order kept, so the signature covers what the reader sees. */
export function encodeManifest(manifest: EvidenceManifest): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
}

/** Detached CMS (the region's key, the same CAdES code as the documents) over the manifest bytes. */
export async function signManifest(manifestBytes: Uint8Array, signer: Signer): Promise<Uint8Array> {
  const contentDigest = new Uint8Array(createHash('sha256').update(manifestBytes).digest());
  return buildCadesSignature({ contentDigest, signer });
}

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
/** The manifest as read back from a bundle (strict: an unknown member or role is a failure). */
export const EvidenceManifestSchema = z.strictObject({
  format: z.literal('rvw-evidence/1'),
  caseNumber: z.string().min(1).max(64),
  regions: z.array(z.string().max(16)).max(8),
  exportedAt: z.iso.datetime(),
  exporter: z.string().max(200),
  members: z
    .array(
      z.strictObject({
        path: z.string().min(1).max(300),
        role: z.enum(['case_record', 'audit_chain', 'material', 'chat', 'signature', 'document', 'recording']),
        sha256: Sha256Hex,
        size: z.number().int().min(0),
      }),
    )
    .max(10_000),
});

/** Parses manifest bytes; undefined when they are not a manifest of this format. */
export function parseManifest(bytes: Uint8Array): EvidenceManifest | undefined {
  try {
    const parsed = EvidenceManifestSchema.safeParse(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
