import type { DocumentRecord, VerifyVerdict } from '@rvw/documents';
import { formatChineseDate } from '@rvw/documents/time/formatChineseDate';

/**
 * The public verification page (Simplified Chinese). Shows the document's registry entry and the
 * verdict on the stored copy, then an upload form to check a file in hand. Deliberately prints no
 * personal data — not even the masked name or ID — since anyone holding the printed handle can open it.
 */
export function renderVerifyPage(options: {
  basePath: string;
  number?: string;
  record?: DocumentRecord;
  verdict?: VerifyVerdict;
  archiveMissing?: boolean;
  /** The address named no document. */
  notFound?: boolean;
  /** Too many look-ups from this client. */
  rateLimited?: boolean;
}): string {
  const { basePath, record, verdict } = options;
  let lookup = '';
  if (options.rateLimited) {
    lookup = `<section><div class="verdict invalid"><p>核验请求过于频繁，请一分钟后再试。</p></div></section>`;
  } else if (record && options.archiveMissing) {
    lookup = `<section><div class="verdict invalid"><p>文书 <span class="mono">${escapeHtml(record.number)}</span> 已登记，但存档文件缺失，暂时无法核验。请联系出具机关：${escapeHtml(record.issuerName)}。</p></div></section>`;
  } else if (options.notFound) {
    lookup = `<section><div class="verdict invalid"><p>未找到该文书。请扫描文书上的二维码或完整输入二维码下方的核验地址，或上传文件核验。</p></div></section>`;
  } else if (record && verdict) {
    const rows: Array<[string, string]> = [
      ['文书编号', record.number],
      ['文书名称', record.title],
      ['办理事项', record.itemName],
      ['出具机关', record.issuerName],
      ['出具地区', record.issuerRegionName],
      ['签名证书', record.signerSubject],
      ['出具时间', formatChineseDate(new Date(record.issuedAt), { withTime: true })],
      ['SHA-256', record.sha256],
    ];
    if (verdict.timestamp) rows.push(['可信时间戳', `${formatChineseDate(new Date(verdict.timestamp.time), { withTime: true })}（${verdict.timestamp.tsa}）`]);
    // A document built from demonstration data is genuinely signed, so it must not read as a real certificate.
    const sample = record.sample
      ? `<div class="verdict invalid" id="sample-notice"><p>⚠ 演示数据：本文书由演示用样本数据生成，仅供演示，不作为正式证明。</p></div>`
      : '';
    lookup = `<section>
${sample}<div class="verdict ${verdict.valid ? 'valid' : 'invalid'}"><p>${verdict.valid ? (record.sample ? '✔ 签名有效（演示数据）' : '✔ 有效') : '✘ 无效'}　${escapeHtml(verdict.message)}</p></div>
<dl>${rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd${k === 'SHA-256' ? ' class="mono"' : ''}>${escapeHtml(v)}</dd>`).join('')}</dl>
<p>请核对手中文书的编号、名称和出具机关与上述信息一致。如需确认文件未被修改，请在下方上传电子文件。</p>
</section>`;
  }
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>电子文书核验 · 跨域通办远程虚拟窗口</title>
<link rel="stylesheet" href="${escapeHtml(basePath)}/verify/assets/verify.css">
</head>
<body>
<main>
<h1>电子文书核验</h1>
${lookup}
<section>
<h2>上传文件核验</h2>
<form id="upload" data-endpoint="${escapeHtml(basePath)}/verify">
<p><input type="file" name="file" accept="application/pdf,.pdf" required> <button type="submit">核验</button></p>
<p>文件仅用于核验电子签名，不会被保存。</p>
</form>
<div id="upload-result" aria-live="polite"></div>
</section>
<footer>跨域通办远程虚拟窗口 · 电子文书核验</footer>
</main>
<script src="${escapeHtml(basePath)}/verify/assets/verify.js"></script>
</body>
</html>`;
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}
