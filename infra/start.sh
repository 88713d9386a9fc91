#!/usr/bin/env bash
# README command one: install what is missing, then start the regional node with a private
# redis-server under ./data, demo data seeded, and the first administrator's invite printed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash infra/install.sh
exec npx tsx --conditions=source signaling/src/main.ts
