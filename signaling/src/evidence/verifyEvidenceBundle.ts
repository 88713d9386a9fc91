import { z } from 'zod';
import { verifyPdf } from '@rvw/documents';
import { checkMembers } from '@rvw/documents/evidence/checkMembers';
import { readEvidenceArchive } from '@rvw/documents/evidence/evidenceArchive';
import { MANIFEST_PATH, MANIFEST_SIGNATURE_PATH, parseManifest } from '@rvw/documents/evidence/EvidenceManifest';
import { verifyManifestSignature } from '@rvw/documents/evidence/verifyManifestSignature';
import { CaseRecord } from '@rvw/protocol/caseRecord';
import { AuditEvent } from '../audit/AuditEvent.js';
import { canonicalJson } from '../audit/canonicalJson.js';
import { verifyAuditChain } from '../audit/verifyAuditChain.js';

/** Which part of a bundle a check is about. */
export type EvidenceCheckKind = 'archive' | 'manifest' | 'signature' | 'members' | 'case_record' | 'audit_chain' | 'chat' | 'documents' | 'recordings';

/** One check of a bundle: passed, or failed with a stable code and a Chinese message that says what. */
export interface EvidenceCheck {
  kind: EvidenceCheckKind;
  ok: boolean;
  code: string;
  message: string;
  /** The member concerned, when there is one. */
  path?: string;
}

/** The verdict on a bundle: every check, and ok only when all passed. */
export interface EvidenceVerdict {
  ok: boolean;
  caseNumber?: string;
  /** Subject CN of the manifest's signing certificate. */
  signer?: string;
  checks: EvidenceCheck[];
}

const AuditEvents = z.array(AuditEvent);

/**
 * Checks a case's evidence bundle offline — no server, no store, only the trusted CA
 * certificates of the regions (either region's administrator verifies what the other exported):
 * the manifest's CMS signature; every member's size and SHA-256, nothing missing or added; the
 * case record; the audit chain's links, hashes and head (the record's version and last event);
 * the chat against the record; each issued PDF's PAdES signature and its hash against the record;
 * every recorded segment against the `recording.segment` events of the chain. Reports every
 * failure, each naming what failed.
 */
export async function verifyEvidenceBundle(file: string, options: { trustAnchors: readonly Uint8Array[]; now?: Date }): Promise<EvidenceVerdict> {
  const checks: EvidenceCheck[] = [];
  const pass = (kind: EvidenceCheckKind, code: string, message: string, memberPath?: string) => checks.push({ kind, ok: true, code, message, ...(memberPath ? { path: memberPath } : {}) });
  const fail = (kind: EvidenceCheckKind, code: string, message: string, memberPath?: string) => checks.push({ kind, ok: false, code, message, ...(memberPath ? { path: memberPath } : {}) });
  const verdict = (extra: Partial<EvidenceVerdict> = {}): EvidenceVerdict => ({ ok: checks.every((c) => c.ok), ...extra, checks });

  let contents;
  try {
    contents = await readEvidenceArchive(file, { keep: (p) => p === MANIFEST_PATH || p === MANIFEST_SIGNATURE_PATH || p.endsWith('.json') || p.startsWith('documents/') });
  } catch {
    fail('archive', 'ARCHIVE_UNREADABLE', '文件不是可读取的证据包（tar 格式）');
    return verdict();
  }
  for (const p of contents.rejected) fail('archive', 'MEMBER_REJECTED', `证据包含有不允许的条目（链接、重复或不安全的路径）：${p}`, p);

  const manifestBytes = contents.kept.get(MANIFEST_PATH);
  const manifest = manifestBytes ? parseManifest(manifestBytes) : undefined;
  if (!manifestBytes || !manifest) {
    fail('manifest', manifestBytes ? 'MANIFEST_MALFORMED' : 'MANIFEST_MISSING', manifestBytes ? '证据清单（manifest.json）格式不正确' : '证据包中没有证据清单（manifest.json）');
    return verdict();
  }
  pass('manifest', 'MANIFEST_OK', `证据清单可读，列出 ${manifest.members.length} 个文件`);

  const p7s = contents.kept.get(MANIFEST_SIGNATURE_PATH);
  let signer: string | undefined;
  if (!p7s) fail('signature', 'SIGNATURE_MISSING', '证据包中没有清单签名（manifest.json.p7s）');
  else {
    const sig = await verifyManifestSignature(manifestBytes, p7s, options.trustAnchors, options.now);
    if (sig.ok) {
      signer = sig.signer;
      pass('signature', 'SIGNATURE_OK', `清单签名有效，签名人：${sig.signer}`);
    } else fail('signature', sig.code, sig.message, MANIFEST_SIGNATURE_PATH);
  }

  const memberFailures = checkMembers(manifest, contents.digests);
  for (const f of memberFailures) fail('members', f.code, f.message, f.path);
  if (!memberFailures.length) pass('members', 'MEMBERS_OK', `${manifest.members.length} 个文件的大小和哈希与清单一致`);

  const byRole = (role: string) => manifest.members.filter((m) => m.role === role);
  const readJson = (memberPath: string | undefined): unknown => {
    const bytes = memberPath ? contents.kept.get(memberPath) : undefined;
    if (!bytes) return undefined;
    try {
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      return undefined;
    }
  };

  const record = CaseRecord.safeParse(readJson(byRole('case_record')[0]?.path));
  if (!record.success) {
    fail('case_record', 'CASE_RECORD_MALFORMED', '办件记录（case.json）缺失或格式不正确');
    return verdict({ caseNumber: manifest.caseNumber, ...(signer ? { signer } : {}) });
  }
  const rec = record.data;
  if ((rec.number ?? rec.id) !== manifest.caseNumber) fail('case_record', 'CASE_NUMBER_MISMATCH', `清单的办件编号（${manifest.caseNumber}）与办件记录（${rec.number ?? rec.id}）不一致`);
  else pass('case_record', 'CASE_RECORD_OK', `办件记录可读：${manifest.caseNumber}`);

  const events = AuditEvents.safeParse(readJson(byRole('audit_chain')[0]?.path));
  if (!events.success) fail('audit_chain', 'AUDIT_CHAIN_MALFORMED', '审计链（audit.json）缺失或格式不正确');
  else {
    const chain = verifyAuditChain(events.data, { caseId: rec.id, version: rec.version, lastEventHash: rec.lastEventHash });
    if (chain.ok) pass('audit_chain', 'AUDIT_CHAIN_OK', `审计链完整：${chain.count} 条记录，哈希逐条相连，与办件记录的版本一致`);
    else fail('audit_chain', 'AUDIT_CHAIN_BROKEN', `审计链在第 ${chain.at} 条处断开（${chain.reason}）：记录被改动、删除、插入或截断`);
  }

  const chat = readJson(byRole('chat')[0]?.path);
  if (chat === undefined || canonicalJson(chat) !== canonicalJson(rec.chat)) fail('chat', 'CHAT_MISMATCH', '聊天记录（chat.json）与办件记录不一致');
  else pass('chat', 'CHAT_OK', `聊天记录与办件记录一致（${rec.chat.length} 条）`);

  // Each issued document of the record is in the bundle with the hash the record names, and its signature holds.
  const docMembers = byRole('document');
  for (const d of rec.documents) {
    const m = docMembers.find((x) => x.sha256 === d.sha256);
    if (!m) fail('documents', 'DOCUMENT_MISSING', `办件记录中的文书 ${d.number} 不在证据包中`);
  }
  for (const m of docMembers) {
    const inRecord = rec.documents.find((d) => d.sha256 === m.sha256);
    if (!inRecord) {
      fail('documents', 'DOCUMENT_NOT_IN_RECORD', `文书不在办件记录中：${m.path}`, m.path);
      continue;
    }
    const bytes = contents.kept.get(m.path);
    if (!bytes) continue; // missing: reported by the member check
    const v = await verifyPdf(bytes, { trustAnchors: options.trustAnchors, ...(options.now ? { now: options.now } : {}) });
    // Offline there is no registry: a valid signature over the very bytes the record names is the proof.
    if (v.valid || (v.reason === 'NOT_REGISTERED' && v.sha256 === inRecord.sha256)) pass('documents', 'DOCUMENT_OK', `文书 ${inRecord.number} 电子签名有效（${v.signer ?? ''}）`, m.path);
    else fail('documents', `DOCUMENT_${v.reason}`, `文书 ${inRecord.number}：${v.message}`, m.path);
  }

  // Every segment in the bundle was hashed into the chain when it closed, and every hashed one is here.
  const hashed = new Set(events.success ? events.data.filter((e) => e.action === 'recording.segment').map((e) => String(e.data.sha256)) : []);
  const recordings = byRole('recording');
  for (const m of recordings) {
    if (!hashed.has(m.sha256)) fail('recordings', 'RECORDING_NOT_IN_AUDIT', `录像文件不在审计链的录制记录中：${m.path}`, m.path);
  }
  // A segment deleted after its retention is absent on purpose: the chain says so (recording.expired).
  const expired = new Set(events.success ? events.data.filter((e) => e.action === 'recording.expired').map((e) => String(e.data.sha256)) : []);
  let absentExpired = 0;
  for (const sha of hashed) {
    if (recordings.some((m) => m.sha256 === sha)) continue;
    if (expired.has(sha)) absentExpired += 1;
    else fail('recordings', 'RECORDING_MISSING', `审计链记录的录像片段不在证据包中：${sha}`);
  }
  const expiredNote = absentExpired ? `；另有 ${absentExpired} 个片段已过保存期限删除（审计链有记录）` : '';
  if (checks.every((c) => c.kind !== 'recordings')) pass('recordings', 'RECORDINGS_OK', recordings.length || absentExpired ? `${recordings.length} 个录像片段均与审计链一致${expiredNote}` : '本办件没有录像片段');

  return verdict({ caseNumber: manifest.caseNumber, ...(signer ? { signer } : {}) });
}
