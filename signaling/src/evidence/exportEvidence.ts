import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Signer } from '@rvw/documents';
import { EvidenceArchiveWriter } from '@rvw/documents/evidence/evidenceArchive';
import { encodeManifest, signManifest, MANIFEST_PATH, MANIFEST_SIGNATURE_PATH, type EvidenceManifest, type EvidenceMember, type EvidenceRole } from '@rvw/documents/evidence/EvidenceManifest';
import type { CaseRecord } from '@rvw/protocol/caseRecord';
import type { AuditEvent } from '../audit/AuditEvent.js';
import { authorizeWithReason } from '../auth/policy.js';
import type { Principal } from '../auth/Principal.js';
import { caseFacts } from '../cases/caseFacts.js';
import { AppError } from '../errors/AppError.js';

/** A recorded segment of the case's session, as the recording store lists it. */
export interface EvidenceRecording {
  sha256: string;
  /** The segment's bytes, streamed (recordings are large). */
  open(): Promise<Readable>;
}

/** Dependencies of {@link exportEvidence}; the node wires them to its stores. */
export interface ExportEvidenceDeps {
  cases: {
    getCase(caseId: string): Promise<CaseRecord>;
    recordEvidenceExport(principal: Principal, caseId: string): Promise<CaseRecord>;
    history(caseId: string): Promise<{ record: CaseRecord; events: AuditEvent[] }>;
  };
  /** A material's or the signature's bytes (from another node when captured there). */
  readBlob(sha256: string): Promise<Uint8Array>;
  /** An issued PDF's bytes (from the node that signed it when not here). */
  readPdf(doc: { sha256: string; number: string }): Promise<Uint8Array>;
  /** The case's recorded segments (none until the session is recorded). */
  recordings(caseId: string): Promise<EvidenceRecording[]>;
  /** The signing key of a region (the manifest is signed with the serving region's). */
  signerFor(regionCode: string): Signer | undefined;
  /** Where bundles are staged while packed (under the node's data directory). */
  stagingDir: string;
  clock: () => Date;
}

/** A packed bundle: the archive to stream, and the staging to remove once it was sent. */
export interface ExportedEvidence {
  fileName: string;
  archive: Readable;
  dispose(): Promise<void>;
}

const EXT: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp', 'application/pdf': 'pdf' };

/**
 * A case's evidence bundle (one tar archive): authorize → check the signing key is here → record
 * the export in the audit chain → read record and chain together → stage the case record, the
 * chain, the chat, every material, the applicant's signature, every issued PDF and every recorded
 * segment → a manifest listing each with its SHA-256 and size, signed (detached CMS) with the
 * serving region's key → pack, manifest first. Nothing is written to the chain before every check
 * has passed; the bundle's chain ends with its own export.
 */
export async function exportEvidence(deps: ExportEvidenceDeps, principal: Principal, caseId: string): Promise<ExportedEvidence> {
  const current = await deps.cases.getCase(caseId);
  authorizeWithReason(principal, 'evidence.export', { case: caseFacts(current) });
  const signer = deps.signerFor(current.servingRegion);
  if (!signer) throw new AppError('SIGNER_NOT_FOUND', `本节点没有办理地区（${current.servingRegion}）的签名密钥，无法导出证据包`, 503, { region: current.servingRegion });

  await deps.cases.recordEvidenceExport(principal, caseId);
  const { record, events } = await deps.cases.history(caseId);

  await mkdir(deps.stagingDir, { recursive: true });
  const staging = await mkdtemp(path.join(deps.stagingDir, 'evidence-'));
  const dispose = () => rm(staging, { recursive: true, force: true });
  try {
    const writer = new EvidenceArchiveWriter(staging);
    const members: EvidenceMember[] = [];
    const add = async (memberPath: string, role: EvidenceRole, bytes: Uint8Array) => members.push({ path: memberPath, role, ...(await writer.add(memberPath, bytes)) });
    const json = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);

    await add('case.json', 'case_record', json(record));
    await add('audit.json', 'audit_chain', json(events));
    await add('chat.json', 'chat', json(record.chat));
    for (const m of record.materials) {
      const role: EvidenceRole = m.kind === 'signature' ? 'signature' : 'material';
      await add(`${role === 'signature' ? 'signature' : 'materials'}/${m.sha256}.${EXT[m.mime] ?? 'bin'}`, role, await deps.readBlob(m.sha256));
    }
    if (record.applicantSignatureSha256 && !record.materials.some((m) => m.sha256 === record.applicantSignatureSha256)) {
      await add(`signature/${record.applicantSignatureSha256}.png`, 'signature', await deps.readBlob(record.applicantSignatureSha256));
    }
    for (const d of record.documents) await add(`documents/${safeName(d.number)}.pdf`, 'document', await deps.readPdf(d));
    for (const r of await deps.recordings(caseId)) {
      const memberPath = `recordings/${r.sha256}.webm`;
      members.push({ path: memberPath, role: 'recording', ...(await writer.addStream(memberPath, await r.open())) });
    }

    const manifest: EvidenceManifest = {
      format: 'rvw-evidence/1',
      caseNumber: record.number ?? record.id,
      regions: [record.servingRegion, record.applicantRegion],
      exportedAt: deps.clock().toISOString(),
      exporter: principal.kind === 'staff' ? `${principal.name}（${principal.staffId}）` : principal.kind,
      members,
    };
    const manifestBytes = encodeManifest(manifest);
    await writer.add(MANIFEST_PATH, manifestBytes);
    await writer.add(MANIFEST_SIGNATURE_PATH, await signManifest(manifestBytes, signer));
    return { fileName: `evidence-${safeName(manifest.caseNumber)}.tar`, archive: writer.pack(), dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}

/** A document or case number as a file name (they are `[0-9A-Za-z-]` already; anything else goes). */
function safeName(s: string): string {
  return s.replace(/[^0-9A-Za-z_-]/g, '_');
}
