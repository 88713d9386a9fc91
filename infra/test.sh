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
# One plain closing line that CI reads: "vitest: N passed, N failed[, N skipped][, N files failed]".
# A file whose beforeAll throws fails no single test (its tests read as skipped), so failed files
# are counted on their own: the line must never look green when vitest was not.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  const failedFiles = r.testResults.filter((f) => f.status === "failed").length;
  console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : "") + (failedFiles ? `, ${failedFiles} files failed` : ""));
' "$report" || true
rm -f "$report"
exit "$status"
