#!/usr/bin/env bash
# README command two: install what is missing, then typecheck, lint and run every test
# against the real parts (redis-server, mediasoup worker, Chromium, pdfsig).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash infra/install.sh
echo '[test] typecheck'
npm run --silent typecheck
echo '[test] lint'
npx eslint . --max-warnings=0
echo '[test] vitest'
report="$(mktemp)"
status=0
npx vitest run --reporter=default --reporter=json --outputFile="$report" || status=$?
# One plain closing line that CI reads: "vitest: N passed, N failed[, N skipped]".
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$report" || true
rm -f "$report"
exit "$status"
