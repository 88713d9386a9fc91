#!/usr/bin/env bash
# README command one: install what is missing and build (infra/install.sh), then start the
# regional node on the build output (plain node, no TypeScript tooling at run time) with a private
# redis-server under ./data and a private PostgreSQL under ./data/postgres (the case archive, its URL
# handed to the node as RVW_ARCHIVE_URL; both skipped when RVW_REDIS_URL / RVW_ARCHIVE_URL are
# set), demo data seeded, and the first administrator's invite printed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash infra/install.sh
exec node infra/dist/demo/startDemo.js
