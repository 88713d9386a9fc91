import { z } from 'zod';
import type { ArchiveChat } from '@rvw/protocol/archive';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import { requireAdmin } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { parseInput } from '../catalog/parseInput.js';

/** Dependencies of {@link openArchiveChat}. */
export interface ArchiveChatDeps {
  /** Authorizes and records the reading in the case's audit chain (CaseService.recordChatView). */
  recordChatView(principal: Principal, caseId: string): Promise<CaseRecord>;
}

const CaseId = z.string().trim().min(1).max(128);

/**
 * A case's conversation, read from the archive's case page: administrators only, of the serving
 * region (`archive.chat.read`, the case's custodians, who may export it whole anyway); the reading
 * is in the audit chain before a line leaves.
 */
export async function openArchiveChat(deps: ArchiveChatDeps, principal: Principal, caseId: unknown): Promise<ArchiveChat> {
  requireAdmin(principal);
  const record = await deps.recordChatView(principal, parseInput(CaseId, caseId));
  return { lines: record.chat.map((l) => ({ at: l.at, role: l.role, text: l.text })) };
}
