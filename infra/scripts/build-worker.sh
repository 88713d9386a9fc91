#!/usr/bin/env bash
# Builds mediasoup-worker offline against Debian 12 system libraries and installs it where the
# mediasoup npm package looks for it (node_modules/mediasoup/worker/out/Release/mediasoup-worker).
#
# No network is used except apt-get, and only when a required Debian package is missing.
# The worker source is the one shipped in node_modules/mediasoup/worker; it is copied to a
# scratch dir under .cache/ and patched there (node_modules is never modified, except for the
# installed binary). Results are cached in .cache/mediasoup-worker/<key>/ where <key> covers the
# mediasoup version, the Debian package versions, the patches, the shims and the build recipe.
#
# Usage: bash infra/scripts/build-worker.sh   (env: MEDIASOUP_BUILD_JOBS, default 2)
set -euo pipefail

readonly MEDIASOUP_VERSION_EXPECTED='3.15.8'

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly ROOT
readonly PATCH_FILE="$ROOT/infra/mediasoup/mediasoup-${MEDIASOUP_VERSION_EXPECTED}-debian-libsrtp2.patch"
# A fix of the worker's own behaviour, backported from a later mediasoup (see its header).
readonly RTX_PATCH_FILE="$ROOT/infra/mediasoup/mediasoup-${MEDIASOUP_VERSION_EXPECTED}-rtx-probe-fills-hole.patch"
readonly SHIMS_DIR="$ROOT/infra/mediasoup/subprojects"
readonly MEDIASOUP_DIR="$ROOT/node_modules/mediasoup"
readonly INSTALL_PATH="$MEDIASOUP_DIR/worker/out/Release/mediasoup-worker"
readonly CACHE_ROOT="$ROOT/.cache/mediasoup-worker"
readonly JOBS="${MEDIASOUP_BUILD_JOBS:-2}"

# Build-time Debian packages (ffmpeg is only used by the RTP tests in test/sfu/).
readonly APT_PACKAGES=(
  meson ninja-build build-essential pkg-config
  libssl-dev libuv1-dev libusrsctp-dev libabsl-dev libflatbuffers-dev flatbuffers-compiler
  ffmpeg
)
# Packages whose versions change the produced binary; part of the cache key.
readonly KEY_PACKAGES=(
  libssl-dev libuv1-dev libusrsctp-dev libabsl-dev libflatbuffers-dev flatbuffers-compiler
  g++ meson
)
# libsrtp2: Debian 12's own source (the archive apt uses), built with OpenSSL's crypto and linked
# statically. Debian's libsrtp2-1 is built without it: its AES and HMAC-SHA1 are libsrtp's portable C
# (no AES-NI), which made SRTP ~40 % of the worker's CPU per packet (bench:sfu-capacity), and it has
# no AES-GCM at all.
readonly LIBSRTP_VERSION='2.5.0'
readonly LIBSRTP_URL="http://deb.debian.org/debian/pool/main/libs/libsrtp2/libsrtp2_${LIBSRTP_VERSION}.orig.tar.gz"
readonly LIBSRTP_SHA256='8a43ef8e9ae2b665292591af62aa1a4ae41e468b6d98d8258f91478735da4e09'
readonly LIBSRTP_CONFIGURE=(--enable-openssl --disable-debug-logging)
readonly LIBSRTP_CFLAGS='-O2 -fPIC'
# Meson options. liburing is disabled: Debian 12's liburing is older than the 2.5 the worker needs.
readonly MESON_ARGS=(--wrap-mode=nodownload --buildtype=release -Db_ndebug=true -Dms_disable_liburing=true)
# wraps not needed on this platform: liburing (disabled above) and wingetopt (Windows only).
readonly UNUSED_WRAPS=(liburing wingetopt)

log() { printf '[build-worker] %s\n' "$*"; }
die() { printf '[build-worker] ERROR: %s\n' "$*" >&2; exit 1; }

# --- 1. Debian packages ----------------------------------------------------------------------
ensure_apt_packages() {
  local missing=() pkg status
  for pkg in "${APT_PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
    [[ "$status" == 'installed' ]] || missing+=("$pkg")
  done
  if ((${#missing[@]} == 0)); then
    log "apt: all ${#APT_PACKAGES[@]} build packages present"
    return
  fi
  log "apt: installing missing packages: ${missing[*]}"
  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || die "not root and no sudo; install manually: apt-get install ${missing[*]}"
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  for pkg in "${missing[@]}"; do
    status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
    [[ "$status" == 'installed' ]] || die "apt-get did not install $pkg"
  done
}

# --- 2. mediasoup version --------------------------------------------------------------------
check_mediasoup_version() {
  [[ -f "$MEDIASOUP_DIR/package.json" ]] || die "$MEDIASOUP_DIR not found; run npm ci first"
  local version
  version="$(sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$MEDIASOUP_DIR/package.json" | head -n1)"
  if [[ "$version" != "$MEDIASOUP_VERSION_EXPECTED" ]]; then
    die "node_modules has mediasoup '$version' but $(basename "$PATCH_FILE") and the shims are for $MEDIASOUP_VERSION_EXPECTED; port infra/mediasoup/ to the new version (see the README) before building"
  fi
  MEDIASOUP_VERSION="$version"
}

# --- 3. cache key ----------------------------------------------------------------------------
tree_sha256() { # tree_sha256 <dir> [find predicates before -type f]: hash of every file's path and content.
  local dir="$1"
  shift
  (cd "$dir" && find . "$@" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
}

compute_cache_key() {
  local pkg
  MANIFEST="mediasoup $MEDIASOUP_VERSION"$'\n'
  # The worker sources as installed by npm (out/ excluded: that is where we install the binary).
  MANIFEST+="worker-src $(tree_sha256 "$MEDIASOUP_DIR/worker" -path ./out -prune -o)"$'\n'
  for pkg in "${KEY_PACKAGES[@]}"; do
    MANIFEST+="dpkg $pkg $(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || echo missing)"$'\n'
  done
  MANIFEST+="patch $(sha256sum "$PATCH_FILE" | cut -d' ' -f1)"$'\n'
  MANIFEST+="rtx-patch $(sha256sum "$RTX_PATCH_FILE" | cut -d' ' -f1)"$'\n'
  # Every shim file, by relative path, so renames count too.
  MANIFEST+="shims $(tree_sha256 "$SHIMS_DIR")"$'\n'
  MANIFEST+="meson-args ${MESON_ARGS[*]}"$'\n'
  MANIFEST+="libsrtp $LIBSRTP_VERSION $LIBSRTP_SHA256 ${LIBSRTP_CONFIGURE[*]} $LIBSRTP_CFLAGS"$'\n'
  MANIFEST+="arch $(dpkg --print-architecture)"$'\n'
  CACHE_KEY="${MEDIASOUP_VERSION}-$(printf '%s' "$MANIFEST" | sha256sum | cut -c1-16)"
}

# --- 4. install ------------------------------------------------------------------------------
install_binary() {
  local src="$1"
  if [[ -f "$INSTALL_PATH" ]] && cmp -s "$src" "$INSTALL_PATH"; then
    log "installed binary already up to date: ${INSTALL_PATH#"$ROOT"/}"
  else
    mkdir -p "$(dirname "$INSTALL_PATH")"
    install -m 0755 "$src" "$INSTALL_PATH.tmp.$$"
    mv -f "$INSTALL_PATH.tmp.$$" "$INSTALL_PATH"
    log "installed: ${INSTALL_PATH#"$ROOT"/}"
  fi
  if [[ -n "${MEDIASOUP_WORKER_BIN:-}" ]]; then
    log "note: MEDIASOUP_WORKER_BIN is set ($MEDIASOUP_WORKER_BIN); mediasoup will use that path instead"
  fi
}

# --- 5. build --------------------------------------------------------------------------------
run_logged() { # run_logged <log> <cmd...>: append output to the log; on failure show its tail.
  local logfile="$1"
  shift
  printf '\n$ %s\n' "$*" >>"$logfile"
  if ! "$@" >>"$logfile" 2>&1; then
    printf '[build-worker] ERROR: command failed: %s\n' "$*" >&2
    printf '[build-worker] ---- last 60 lines of %s ----\n' "$logfile" >&2
    tail -n 60 "$logfile" >&2
    die "build failed; full log: $logfile (scratch dir kept for inspection)"
  fi
}

install_shims() {
  local src_dir="$1" wrap name dir
  local -A wanted=()
  for wrap in "$src_dir"/subprojects/*.wrap; do
    name="$(basename "$wrap" .wrap)"
    [[ " ${UNUSED_WRAPS[*]} " == *" $name "* ]] && continue
    dir="$(sed -n 's/^directory[[:space:]]*=[[:space:]]*//p' "$wrap" | tr -d '[:space:]')"
    [[ -n "$dir" ]] || die "cannot read the directory key of $wrap"
    [[ -f "$SHIMS_DIR/$dir/meson.build" ]] ||
      die "wrap '$name' expects subprojects/$dir but there is no shim $SHIMS_DIR/$dir/meson.build (mediasoup changed its dependency; update the shims)"
    wanted["$dir"]=1
    cp -R "$SHIMS_DIR/$dir" "$src_dir/subprojects/$dir"
  done
  for dir in "$SHIMS_DIR"/*/; do
    dir="$(basename "$dir")"
    [[ -n "${wanted[$dir]:-}" ]] || die "stale shim $SHIMS_DIR/$dir matches no wrap of mediasoup $MEDIASOUP_VERSION"
  done
  log "shims installed: $(printf '%s\n' "${!wanted[@]}" | LC_ALL=C sort | tr '\n' ' ')"
}

# Applies one patch to pristine sources, exactly and once (--fuzz=0, --forward), or dies.
patch_exactly() {
  local src_dir="$1" file="$2" out
  if ! out="$(cd "$src_dir" && patch -p1 --forward --batch --fuzz=0 --dry-run <"$file" 2>&1)"; then
    printf '%s\n' "$out" >&2
    die "$(basename "$file") does not apply to node_modules/mediasoup/worker (mediasoup $MEDIASOUP_VERSION)"
  fi
  (cd "$src_dir" && patch -p1 --forward --batch --fuzz=0 --no-backup-if-mismatch --quiet <"$file") ||
    die "applying $(basename "$file") failed"
}

apply_patch() {
  local src_dir="$1"
  patch_exactly "$src_dir" "$PATCH_FILE"
  # Verify the result: each hunk's intent is visible in the patched files.
  grep -q "meson_version: '>= 1.0.1'" "$src_dir/meson.build" || die 'patch verification failed: meson_version not relaxed'
  local n
  n="$(grep -c 'int intLen = static_cast<int>(\*len);' "$src_dir/src/RTC/SrtpSession.cpp" || true)"
  [[ "$n" == 4 ]] || die "patch verification failed: expected 4 int length conversions in SrtpSession.cpp, found $n"
  if grep -nE 'srtp_(un)?protect(_rtcp)?\([^)]*, len\)' "$src_dir/src/RTC/SrtpSession.cpp" >&2; then
    die 'patch verification failed: a size_t* length is still passed to libsrtp'
  fi
  grep -q 'resultOfcallback = (operationType & BIO_CB_RETURN)' "$src_dir/src/RTC/DtlsTransport.cpp" ||
    die 'patch verification failed: the DTLS BIO callback still compares BIO_CB_RETURN with =='
  log "patch applied and verified: $(basename "$PATCH_FILE")"
  patch_exactly "$src_dir" "$RTX_PATCH_FILE"
  grep -q 'return retries != 0 || isRecovered;' "$src_dir/src/RTC/NackGenerator.cpp" && grep -q '		return isRecovered;' "$src_dir/src/RTC/NackGenerator.cpp" ||
    die 'patch verification failed: NackGenerator still drops an RTX packet newer than the last seen'
  log "patch applied and verified: $(basename "$RTX_PATCH_FILE")"
}

smoke_test() { # Start the built worker through mediasoup's own API and close it.
  local bin="$1"
  (cd "$ROOT" && MEDIASOUP_WORKER_BIN="$bin" node --input-type=module -e '
    import * as mediasoup from "mediasoup";
    const worker = await mediasoup.createWorker({ logLevel: "warn" });
    const usage = await worker.getResourceUsage();
    worker.close();
    if (!(usage.ru_maxrss > 0)) throw new Error("worker returned no resource usage");
  ') || die "smoke test failed: $bin does not start as a mediasoup $MEDIASOUP_VERSION worker"
}

fetch_libsrtp() { # The source tarball, downloaded once (apt's own HTTP method) and verified.
  LIBSRTP_TARBALL="$CACHE_ROOT/$(basename "$LIBSRTP_URL")"
  if [[ -f "$LIBSRTP_TARBALL" ]] && [[ "$(sha256sum "$LIBSRTP_TARBALL" | cut -d' ' -f1)" == "$LIBSRTP_SHA256" ]]; then
    return
  fi
  log "downloading $LIBSRTP_URL"
  rm -f "$LIBSRTP_TARBALL"
  # (apt-helper warns that it runs unsandboxed as root: expected, the file is ours.)
  /usr/lib/apt/apt-helper download-file "$LIBSRTP_URL" "$LIBSRTP_TARBALL" "SHA256:$LIBSRTP_SHA256" >/dev/null 2>"$CACHE_ROOT/libsrtp-download.log" ||
    die "could not download $LIBSRTP_URL (the Debian archive must be reachable, as for apt-get)"
  [[ "$(sha256sum "$LIBSRTP_TARBALL" | cut -d' ' -f1)" == "$LIBSRTP_SHA256" ]] || die "$LIBSRTP_TARBALL: wrong SHA-256"
}

build_libsrtp() { # build_libsrtp <scratch> <log>: a static libsrtp2 with OpenSSL crypto under <scratch>/libsrtp.
  local scratch="$1" logfile="$2"
  local src="$scratch/libsrtp-$LIBSRTP_VERSION" prefix="$scratch/libsrtp"
  fetch_libsrtp
  tar -xzf "$LIBSRTP_TARBALL" -C "$scratch"
  [[ -d "$src" ]] || die "the libsrtp tarball did not unpack to $src"
  log "libsrtp $LIBSRTP_VERSION with OpenSSL crypto"
  run_logged "$logfile" bash -c "cd '$src' && ./configure --prefix='$prefix' ${LIBSRTP_CONFIGURE[*]} CFLAGS='$LIBSRTP_CFLAGS'"
  grep -q '^#define OPENSSL 1' "$src/crypto/include/config.h" || die 'libsrtp configure did not enable OpenSSL crypto'
  run_logged "$logfile" make -C "$src" -j "$JOBS" libsrtp2.a
  run_logged "$logfile" make -C "$src" install
  # Static only: the worker must not depend on a libsrtp2.so outside the system's library path.
  rm -f "$prefix"/lib/libsrtp2.so*
  LIBSRTP_PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
}

build_worker() {
  local cache_dir="$1"
  local scratch="$CACHE_ROOT/build-$CACHE_KEY"
  local logfile="$CACHE_ROOT/build-$CACHE_KEY.log"
  local started=$SECONDS
  # Scratch dirs of earlier failed builds are kept for inspection only until the next build.
  rm -rf "$CACHE_ROOT"/build-*
  mkdir -p "$scratch"
  log "building in ${scratch#"$ROOT"/} (log: ${logfile#"$ROOT"/})"
  cp -R "$MEDIASOUP_DIR/worker" "$scratch/worker"
  rm -rf "$scratch/worker/out" "$scratch/worker/build"
  apply_patch "$scratch/worker"
  install_shims "$scratch/worker"

  build_libsrtp "$scratch" "$logfile"

  log 'meson setup'
  run_logged "$logfile" env PKG_CONFIG_PATH="$LIBSRTP_PKG_CONFIG_PATH" meson setup "${MESON_ARGS[@]}" "$scratch/worker/build" "$scratch/worker"
  # Generate the FlatBuffers headers first: libwebrtc includes them but meson gives its objects no
  # ordering dependency on that custom target (upstream's tasks.py also runs flatc first).
  log 'flatc: generating FBS headers'
  run_logged "$logfile" ninja -C "$scratch/worker/build" fbs/FBS
  log "ninja -j$JOBS mediasoup-worker (takes a few minutes)"
  run_logged "$logfile" ninja -C "$scratch/worker/build" -j "$JOBS" mediasoup-worker

  local built="$scratch/worker/build/mediasoup-worker"
  [[ -x "$built" ]] || die "ninja succeeded but $built is missing"
  if ldd "$built" | grep -q 'not found'; then
    ldd "$built" >&2
    die "$built has unresolved shared libraries"
  fi
  # libsrtp is inside the binary, with OpenSSL's AES (not Debian's libsrtp2-1).
  if ldd "$built" | grep -q 'libsrtp2'; then
    die "$built links a shared libsrtp2; the OpenSSL-backed static one was expected"
  fi
  smoke_test "$built"

  mkdir -p "$cache_dir"
  install -m 0755 "$built" "$cache_dir/mediasoup-worker.tmp"
  printf '%s' "$MANIFEST" >"$cache_dir/manifest.txt"
  mv -f "$cache_dir/mediasoup-worker.tmp" "$cache_dir/mediasoup-worker"
  rm -rf "$scratch" "$logfile"
  log "built in $((SECONDS - started)) s, $(du -h "$cache_dir/mediasoup-worker" | cut -f1), cached: ${cache_dir#"$ROOT"/}"
}

main() {
  command -v dpkg-query >/dev/null || die 'this script targets Debian 12 (dpkg-query not found)'
  check_mediasoup_version
  [[ -f "$PATCH_FILE" ]] || die "missing $PATCH_FILE"
  [[ -f "$RTX_PATCH_FILE" ]] || die "missing $RTX_PATCH_FILE"
  [[ -d "$SHIMS_DIR" ]] || die "missing $SHIMS_DIR"
  ensure_apt_packages
  compute_cache_key
  log "mediasoup $MEDIASOUP_VERSION, cache key $CACHE_KEY"

  mkdir -p "$CACHE_ROOT"
  # One build at a time per checkout (parallel CI jobs, two terminals).
  exec 9>"$CACHE_ROOT/.lock"
  flock 9

  local cache_dir="$CACHE_ROOT/$CACHE_KEY"
  if [[ -x "$cache_dir/mediasoup-worker" ]]; then
    log "cache hit: ${cache_dir#"$ROOT"/}/mediasoup-worker"
  else
    log 'cache miss: building from node_modules/mediasoup/worker'
    build_worker "$cache_dir"
  fi
  install_binary "$cache_dir/mediasoup-worker"
}

main "$@"
