import { MANIFEST_PATH, MANIFEST_SIGNATURE_PATH, type EvidenceManifest } from './EvidenceManifest.js';

/** One failed check of a bundle: a stable code, a Chinese message a person understands, the member. */
export interface EvidenceFailure {
  code: 'MEMBER_MISSING' | 'MEMBER_EXTRA' | 'MEMBER_HASH_MISMATCH' | 'MEMBER_SIZE_MISMATCH';
  message: string;
  path: string;
}

/** What an archive member was measured as while it was read (bytes are hashed as they stream). */
export interface MemberDigest {
  /** SHA-256, lowercase hex. */
  sha256: string;
  size: number;
}

/**
 * Checks the archive's members against the manifest: every listed member present with its size
 * and SHA-256, nothing unlisted besides the manifest and its signature. Reports every failure,
 * not just the first, so the verdict says exactly what was changed.
 */
export function checkMembers(manifest: EvidenceManifest, members: ReadonlyMap<string, MemberDigest>): EvidenceFailure[] {
  const failures: EvidenceFailure[] = [];
  const listed = new Set<string>();
  for (const entry of manifest.members) {
    listed.add(entry.path);
    const found = members.get(entry.path);
    if (!found) {
      failures.push({ code: 'MEMBER_MISSING', message: `证据包缺少文件：${entry.path}`, path: entry.path });
      continue;
    }
    if (found.size !== entry.size) {
      failures.push({ code: 'MEMBER_SIZE_MISMATCH', message: `文件大小与清单不符：${entry.path}`, path: entry.path });
    }
    if (found.sha256 !== entry.sha256) {
      failures.push({ code: 'MEMBER_HASH_MISMATCH', message: `文件内容已被改动（哈希不符）：${entry.path}`, path: entry.path });
    }
  }
  for (const path of members.keys()) {
    if (path === MANIFEST_PATH || path === MANIFEST_SIGNATURE_PATH || listed.has(path)) continue;
    failures.push({ code: 'MEMBER_EXTRA', message: `证据包含有清单外的文件：${path}`, path });
  }
  return failures;
}
