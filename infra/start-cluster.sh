#!/usr/bin/env bash
# A local two-region cluster in one command: install and build (infra/install.sh, skipped with
# --no-install when that already ran), then Redis Sentinel (primary, two replicas, three
# sentinels; AOF always, password) and one PostgreSQL for both nodes (the case archive,
# RVW_ARCHIVE_URL) under data/cluster and two node processes on the build output,
# `wj` serving 吴江 and `hq` serving 霍邱, demo data seeded once, links printed. Ctrl-C stops all.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
[[ "${1:-}" == "--no-install" ]] || bash infra/install.sh
exec node infra/dist/demo/startCluster.js
