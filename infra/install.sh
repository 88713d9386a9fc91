#!/usr/bin/env bash
# Installs everything the project needs, idempotently, on Debian 12 with Node >= 20:
# Debian packages, npm dependencies (exactly the lock file) and the mediasoup worker (built
# offline, cached), then `npm run build` (server packages into <pkg>/dist, pages into
# web-client/dist; all ignored by git). Safe to run again: each step checks first or overwrites
# its own output.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { printf '[install] %s\n' "$*"; }
die() { printf '[install] ERROR: %s\n' "$*" >&2; exit 1; }

# Runtime and test tools (iproute2 and python3: the two-region network-namespace test and
# bench:cross-region). Build packages for the worker are handled by build-worker.sh.
# postgresql (Debian 12: postgresql-15, /usr/lib/postgresql/15/bin): the case archive.
# infra/postgres/PostgresServer.ts runs its own cluster under the data directory (or a test's
# temp dir), as the `postgres` user the package creates when we are root. The package's postinst
# also creates a `main` cluster on port 5432 and may start it: harmless, nothing here uses it.
APT_PACKAGES=(
  redis-server chromium poppler-utils qpdf fonts-wqy-microhei libnss3-tools openssl coturn ffmpeg ca-certificates
  iproute2 python3 postgresql
)

node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
(( node_major >= 20 )) || die "Node.js >= 20 is required (found $(node --version 2>/dev/null || echo none))"

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)" == installed ]] || missing+=("$pkg")
done
if (( ${#missing[@]} )); then
  sudo=(); (( EUID == 0 )) || sudo=(sudo)
  log "apt: installing ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "apt: ${#APT_PACKAGES[@]} runtime packages present"
fi

# npm: reinstall only when the lock file changed since the last successful install.
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
stamp="node_modules/.rvw-lock-sha256"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$lock_hash" ]]; then
  log "npm: dependencies match package-lock.json"
else
  log "npm: installing dependencies from package-lock.json"
  # `npm ci` installs exactly the lock and never rewrites it, so a fresh setup leaves `git status`
  # clean. The lock is complete: it lists every platform's optional packages (rollup's), which
  # `npm ci` requires. A non-empty MEDIASOUP_WORKER_BIN makes mediasoup's postinstall skip its
  # GitHub download and pip build; build-worker.sh below installs the worker built from source.
  MEDIASOUP_WORKER_BIN="$ROOT/.cache/worker-built-by-infra" npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > "$stamp"
fi

bash infra/scripts/build-worker.sh

# Build at install, not at start: the node runs plain JavaScript and serves pages built here.
log "build: server packages and pages"
npm run --silent build

log "done"
