#!/usr/bin/env bash
# Shared helpers for host scripts. Components send lib.sh + one script on
# stdin to `bash -s`; run standalone, a script sources this file itself.
set -euo pipefail
export CONTAINAI_LIB=1
export DEBIAN_FRONTEND=noninteractive
export CONTAINAI_STATE=/var/lib/containai

warn() { echo "WARNING: $*" >&2; }
die() { echo "ERROR: $*" >&2; exit "${2:-1}"; }

# apt-get install with lock waiting; refreshes package lists when stale.
apt_install() {
  local stamp=/var/lib/apt/periodic/containai-update-stamp
  # A run cut off mid-install (SSH dropped) can leave dpkg half-configured.
  if [ -n "$(ls -A /var/lib/dpkg/updates 2>/dev/null)" ]; then
    echo "recovering an interrupted dpkg run" >&2
    dpkg --force-confold --configure -a >&2
  fi
  if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440 2>/dev/null)" ] \
     || ! apt-cache policy "$1" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
    mkdir -p "$(dirname "$stamp")" && touch "$stamp"
  fi
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "$@" >&2
}

pkg_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

sha256_of() {
  if [ -f "$1" ]; then sha256sum "$1" | cut -d' ' -f1; else echo absent; fi
}

# Decode base64 content ($2) into file $1 atomically with mode $3.
write_b64() {
  local dest=$1 content=$2 mode=${3:-0644} tmp
  mkdir -p "$(dirname "$dest")"
  tmp=$(mktemp "$dest.XXXXXX")
  printf '%s' "$content" | base64 -d > "$tmp"
  chmod "$mode" "$tmp"
  mv -f "$tmp" "$dest"
}
