#!/usr/bin/env bash
# Install everything this project needs on a fresh Debian/Ubuntu machine.
# Idempotent; caches live outside the repo (~/.cache/containai-infra, Go's caches).
#   scripts/bootstrap.sh          apt packages + npm packages + Pulumi toolchain
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

need=()
for p in docker.io debootstrap shellcheck jq openssh-client iptables curl python3 golang-go; do
  case "$p" in
    golang-go) command -v go >/dev/null 2>&1 && continue ;;
    docker.io) command -v dockerd >/dev/null 2>&1 && continue ;;
    openssh-client) command -v ssh-keygen >/dev/null 2>&1 && continue ;;
    *) command -v "$p" >/dev/null 2>&1 && continue ;;
  esac
  need+=("$p")
done
if [ "${#need[@]}" -gt 0 ]; then
  echo "bootstrap: apt-get install ${need[*]}" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi
bash scripts/toolchain.sh >/dev/null
