import type { ArchiveCaseDetail } from '@rvw/protocol/archive';
import { z } from 'zod';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import type { AuditEvent } from '../audit/AuditEvent.js';
import { verifyAuditChain } from '../audit/verifyAuditChain.js';
import { authorizeWithReason, can, requireAdmin } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { caseFacts } from '../cases/caseFacts.js';
import { parseInput } from '../catalog/parseInput.js';
import { toCaseView } from '../cases/toCaseView.js';
import type { ArchiveNames } from './archiveNames.js';
import { auditTimeline } from './auditTimeline.js';

/** Dependencies of {@link readArchiveCase}. */
export interface ArchiveCaseDeps {
  /** The record and its audit events, read together (CaseService.history). */
  history(caseId: string): Promise<{ record: CaseRecord; events: AuditEvent[] }>;
  /** A fresh name cache for one request. */
  names(): ArchiveNames;
  /** The public verification handle of an issued document (/verify/<handle>), if it is published. */
  documentHandle(number: string): Promise<string | undefined>;
}

const CaseId = z.string().trim().min(1).max(128);

/**
 * The archive's case page: administrators only, and of this case only as `case.read` allows
 * (either region's). Everything shown is what the policy lets this administrator see: the record
 * through toCaseView (ID and phone numbers masked), the materials listed, opened
 * only by the serving region's administrators (`archive.material.read`, each opening audited), the chat only under `chat.read` (administrators: never) or, read on request and audited, by the serving region's (`archive.chat.read`),
 * the playback and evidence links only under `recording.view` / `evidence.export` (the serving
 * region's administrators). The audit chain comes with its verification, from the same read as
 * the record: an edited, removed or reordered event shows where the chain breaks.
 */
export async function readArchiveCase(deps: ArchiveCaseDeps, principal: Principal, caseId: unknown): Promise<ArchiveCaseDetail> {
  requireAdmin(principal);
  const { record, events } = await deps.history(parseInput(CaseId, caseId));
  const facts = caseFacts(record);
  authorizeWithReason(principal, 'case.read', { case: facts });
  const view = toCaseView(record, principal);
  const chatVisible = can(principal, 'chat.read', { case: facts });
  const materialsViewable = can(principal, 'archive.material.read', { case: facts });
  const names = deps.names();
  const verdict = verifyAuditChain(events, { caseId: record.id, version: record.version, lastEventHash: record.lastEventHash });
  // Materials are captured by the case's counter or a staff member (the clerk).
  const who = (id: string) => (id === record.counterId ? names.counter(id) : names.staff(id));
  const recorded = record.recording !== undefined || record.recordingConsent !== undefined;
  const ratings: ArchiveCaseDetail['ratings'] = [];
  for (const target of ['clerk', 'counter'] as const) {
    const r = view.ratings[target];
    if (!r) continue;
    const followUp = r.followUp ? { text: r.followUp.text, by: await names.staff(r.followUp.by), at: r.followUp.at } : null;
    ratings.push({ target, score: r.score, comment: r.comment ?? null, at: r.at, followUp });
  }

  return {
    case: {
      id: record.id,
      number: record.number ?? null,
      state: record.state,
      itemCode: record.itemCode,
      itemName: record.itemName,
      partnershipName: await names.partnership(record.partnershipId),
      servingRegionName: await names.region(record.servingRegion),
      applicantRegionName: await names.region(record.applicantRegion),
      hallName: await names.hall(record.hallId),
      counterName: await names.counter(record.counterId),
      clerkName: record.clerkId ? await names.staff(record.clerkId) : null,
      applicant: { name: view.applicant.name, idNumber: view.applicant.idNumber, phone: view.applicant.phone ?? null },
      createdAt: record.createdAt,
      acceptedAt: record.acceptedAt ?? null,
      closedAt: record.closedAt ?? null,
      closeReason: record.closeReason ?? null,
      stateReason: record.stateReason ?? null,
      fields: Object.entries(view.fields).map(([key, value]) => ({ key, value })),
    },
    checklist: view.checklist.map((l) => ({
      materialId: l.materialId,
      name: l.name,
      mandatory: l.mandatory,
      status: l.status,
      waiver: l.waiver ? { note: l.waiver.note, deadline: l.waiver.deadline, at: l.waiver.at } : null,
    })),
    materials: await Promise.all(
      view.materials.map(async (m, i) => ({
        name: m.name,
        kind: m.kind,
        mime: m.mime,
        size: m.size,
        capturedAt: m.capturedAt,
        capturedBy: await who(m.capturedBy),
        viewUrl: materialsViewable ? `/api/admin/cases/${encodeURIComponent(record.id)}/materials/${i}` : null,
      })),
    ),
    materialsViewable,
    signed: record.applicantSignatureSha256 !== undefined,
    documents: await Promise.all(
      view.documents.map(async (d) => {
        const handle = await deps.documentHandle(d.number);
        return {
          number: d.number,
          type: d.type,
          signer: d.signer,
          issuedAt: d.issuedAt,
          issuedBy: await names.staff(d.issuedBy),
          sample: d.sample === true,
          printed: (d.printLog ?? []).filter((p) => p.event === 'printed').length,
          verifyUrl: handle ? `/verify/${encodeURIComponent(handle)}` : null,
        };
      }),
    ),
    ratings,
    chat: chatVisible ? view.chat.map((c) => ({ at: c.at, role: c.role, text: c.text })) : null,
    chatUrl: !chatVisible && can(principal, 'archive.chat.read', { case: facts }) ? `/api/admin/cases/${encodeURIComponent(record.id)}/chat` : null,
    audit: { rows: await auditTimeline(events, record, names, { chatVisible }), verdict },
    links: {
      recording: recorded && can(principal, 'recording.view', { case: facts }) ? `/recording.html?case=${encodeURIComponent(record.id)}` : null,
      evidence: can(principal, 'evidence.export', { case: facts }) ? `/api/cases/${encodeURIComponent(record.id)}/evidence` : null,
    },
  };
}
