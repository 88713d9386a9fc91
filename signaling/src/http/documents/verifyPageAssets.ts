/**
 * Script and style of the public verification page, served from the router itself so the page
 * runs under a strict Content-Security-Policy (no inline script or style).
 */
export const verifyPageAssets = {
  script: `'use strict';
(function () {
  var form = document.getElementById('upload');
  var out = document.getElementById('upload-result');
  if (!form || !out) return;
  function show(cls, lines) {
    out.className = 'verdict ' + cls;
    out.textContent = '';
    lines.forEach(function (line) { var p = document.createElement('p'); p.textContent = line; out.appendChild(p); });
  }
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var file = form.querySelector('input[type=file]').files[0];
    if (!file) { show('invalid', ['请选择要核验的 PDF 文件。']); return; }
    show('pending', ['正在核验，请稍候……']);
    fetch(form.getAttribute('data-endpoint'), { method: 'POST', headers: { 'content-type': 'application/pdf' }, body: file })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        if (!body.ok) { show('invalid', ['核验失败：' + body.error.message]); return; }
        var v = body.data;
        var lines = [(v.valid ? (v.sample ? '✔ 签名有效（演示数据）　' : '✔ 有效　') : '✘ 无效　') + v.message];
        if (v.sample) lines.push('⚠ 演示数据：本文书由演示用样本数据生成，仅供演示，不作为正式证明。');
        if (v.number) lines.push('文书编号：' + v.number);
        if (v.title) lines.push('文书名称：' + v.title);
        if (v.issuer) lines.push('出具机关：' + v.issuer);
        if (v.signer) lines.push('签名证书：' + v.signer);
        if (v.timestamp) lines.push('时间戳：' + v.timestamp.time + '（' + v.timestamp.tsa + '）');
        lines.push('SHA-256：' + v.sha256);
        show(v.valid ? 'valid' : 'invalid', lines);
      })
      .catch(function () { show('invalid', ['网络错误，请稍后重试。']); });
  });
})();
`,
  style: `body{font-family:"WenQuanYi Micro Hei","Microsoft YaHei","PingFang SC",sans-serif;margin:0;background:#f4f5f7;color:#1f2329}
main{max-width:760px;margin:0 auto;padding:24px 16px}
h1{font-size:22px;margin:8px 0 16px}
section{background:#fff;border-radius:8px;padding:16px 20px;margin-bottom:16px;box-shadow:0 1px 2px rgba(0,0,0,.06)}
dl{display:grid;grid-template-columns:8em 1fr;gap:8px 12px;margin:12px 0 0}
dt{color:#646a73}dd{margin:0;word-break:break-all}
.verdict{border-left:6px solid #999;padding:8px 12px;border-radius:4px}
.valid{border-color:#2e7d32;background:#edf7ee}.invalid{border-color:#c62828;background:#fdecea}.pending{border-color:#999}
.verdict p{margin:4px 0}.mono{font-family:monospace;font-size:13px}
footer{color:#8f959e;font-size:12px;text-align:center}
`,
};
