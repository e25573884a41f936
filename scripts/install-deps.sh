#!/usr/bin/env bash
# Install what a step needs, idempotently (each check is cheap when done):
#   scripts/install-deps.sh npm              npm packages (npm ci, when missing or stale)
#   scripts/install-deps.sh apt PKG [PKG...] Debian packages whose command is missing
#   scripts/install-deps.sh actionlint       actionlint built from its Go module (cached); prints its path
#   scripts/install-deps.sh minio            MinIO server built from its Go module (cached); prints its path
# Used by bootstrap.sh (everything) and test.sh (just what `npm test` needs).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The command that shows a package is there.
command_of() {
  case "$1" in
    golang-go) echo go ;;
    docker.io) echo dockerd ;;
    openssh-client) echo ssh-keygen ;;
    util-linux) echo flock ;;
    protobuf-compiler) echo protoc ;;
    *) echo "$1" ;;
  esac
}

case "${1:-}" in
  npm)
    if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
      echo "install-deps: npm ci" >&2
      npm ci --no-audit --no-fund >&2
    fi
    ;;
  apt)
    shift
    need=()
    for p in "$@"; do
      case "$p" in
        # Libraries and headers have no command: ask dpkg.
        *-dev) dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p") ;;
        *) command -v "$(command_of "$p")" >/dev/null 2>&1 || need+=("$p") ;;
      esac
    done
    if [ "${#need[@]}" -gt 0 ]; then
      echo "install-deps: apt-get install ${need[*]}" >&2
      SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
      $SUDO apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    fi
    ;;
  actionlint)
    v=v1.7.7
    bin="${CONTAINAI_CACHE:-$HOME/.cache/containai-infra}/tools/actionlint-$v"
    if [ ! -x "$bin/actionlint" ]; then
      command -v go >/dev/null 2>&1 || { echo "install-deps: Go is needed to build actionlint" >&2; exit 1; }
      echo "install-deps: building actionlint $v from github.com/rhysd/actionlint" >&2
      mkdir -p "$bin"
      GOBIN="$bin" GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0 \
        go install "github.com/rhysd/actionlint/cmd/actionlint@$v" >&2
    fi
    echo "$bin/actionlint"
    ;;
  minio)
    # MinIO publishes no semver tags: this is its Go module at a pinned commit (2026-02-12).
    v=v0.0.0-20260212201848-7aac2a2c5b7c
    bin="${CONTAINAI_CACHE:-$HOME/.cache/containai-infra}/tools/minio-$v"
    if [ ! -x "$bin/minio" ]; then
      command -v go >/dev/null 2>&1 || { echo "install-deps: Go is needed to build minio" >&2; exit 1; }
      echo "install-deps: building minio $v from github.com/minio/minio (first run: a few minutes)" >&2
      mkdir -p "$bin"
      GOBIN="$bin" GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0 GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}github.com/minio" \
        go install -trimpath "github.com/minio/minio@$v" >&2
    fi
    echo "$bin/minio"
    ;;
  *) echo "usage: $0 npm | apt PKG... | actionlint | minio" >&2; exit 2 ;;
esac
