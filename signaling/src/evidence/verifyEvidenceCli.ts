/**
 * `npm run verify-evidence -- FILE [--ca CA.pem] [--json]`: checks a case's evidence bundle
 * offline (see verifyEvidenceBundle) and prints one line per check; exit code 0 when every check
 * passed, 1 when one failed, 2 on a usage error. The trusted CA certificates default to
 * `$RVW_PKI_DIR/ca.pem` (else `data/pki/ca.pem`): the file holding every region's CA, so a bundle
 * exported by either region verifies.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { decodePem } from '@rvw/documents/pki/decodePem';
import { verifyEvidenceBundle } from './verifyEvidenceBundle.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { ca: { type: 'string' }, json: { type: 'boolean', default: false } } });
const file = positionals[0];
if (!file || positionals.length > 1) {
  process.stderr.write('用法 usage: npm run verify-evidence -- <证据包.tar> [--ca ca.pem] [--json]\n');
  process.exit(2);
}
const caFile = values.ca ?? path.join(process.env.RVW_PKI_DIR ?? path.join('data', 'pki'), 'ca.pem');
let trustAnchors: Uint8Array[];
try {
  trustAnchors = decodePem(await readFile(caFile, 'utf8'));
} catch {
  process.stderr.write(`无法读取受信任的 CA 证书 (cannot read CA certificates): ${caFile}\n`);
  process.exit(2);
}
if (!trustAnchors.length) {
  process.stderr.write(`${caFile} 中没有证书 (no certificate in file)\n`);
  process.exit(2);
}

const verdict = await verifyEvidenceBundle(file, { trustAnchors });
if (values.json) process.stdout.write(`${JSON.stringify(verdict)}\n`);
else {
  process.stdout.write(`证据包 ${file}${verdict.caseNumber ? `（办件 ${verdict.caseNumber}）` : ''}\n`);
  for (const c of verdict.checks) process.stdout.write(`${c.ok ? '通过' : '失败'}  [${c.code}] ${c.message}\n`);
  process.stdout.write(verdict.ok ? '结论：证据包完整，签名有效。\n' : `结论：证据包未通过核验（${verdict.checks.filter((c) => !c.ok).length} 项失败）。\n`);
}
process.exit(verdict.ok ? 0 : 1);
