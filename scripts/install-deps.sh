#!/usr/bin/env bash
# Install what a step needs, idempotently (each check is cheap when done):
#   scripts/install-deps.sh npm              npm packages (npm ci, when missing or stale)
#   scripts/install-deps.sh apt PKG [PKG...] Debian packages whose command is missing
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
      command -v "$(command_of "$p")" >/dev/null 2>&1 || need+=("$p")
    done
    if [ "${#need[@]}" -gt 0 ]; then
      echo "install-deps: apt-get install ${need[*]}" >&2
      SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
      $SUDO apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    fi
    ;;
  *) echo "usage: $0 npm | apt PKG..." >&2; exit 2 ;;
esac
