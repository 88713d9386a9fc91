import { z } from 'zod';
import type { CaseMaterial, CaseRecord } from '@rvw/protocol/caseRecord';
import { requireAdmin } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { parseInput } from '../catalog/parseInput.js';

/** Dependencies of {@link openArchiveMaterial}. */
export interface ArchiveMaterialDeps {
  /** Authorizes and records the opening in the case's audit chain (CaseService.recordMaterialView). */
  recordMaterialView(principal: Principal, caseId: string, index: number): Promise<{ record: CaseRecord; material: CaseMaterial }>;
  /** The material's bytes by content hash (BlobStore.get: this node's disk, or the node holding it). */
  readBlob(sha256: string): Promise<Uint8Array>;
}

const Input = z.strictObject({ caseId: z.string().trim().min(1).max(128), index: z.coerce.number().int().min(0).max(1000) });

/**
 * A material of a case, opened from the archive's case page: administrators only, of the serving
 * region (`archive.material.read`); the opening is in the audit chain before a byte leaves.
 */
export async function openArchiveMaterial(deps: ArchiveMaterialDeps, principal: Principal, input: unknown): Promise<{ material: CaseMaterial; bytes: Uint8Array }> {
  requireAdmin(principal);
  const { caseId, index } = parseInput(Input, input);
  const { material } = await deps.recordMaterialView(principal, caseId, index);
  return { material, bytes: await deps.readBlob(material.sha256) };
}
