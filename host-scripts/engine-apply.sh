#!/usr/bin/env bash
# Install the Docker engine package if absent, without disturbing a default
# Docker: services are not started during install, and when this program is
# what brought Docker onto the host, the default docker.service stays off.
# Env: ENGINE_PACKAGE (docker.io | docker-ce)
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
host_lock

state="$CONTAINAI_STATE/engine"
mkdir -p "$state"
if pkg_installed "$ENGINE_PACKAGE"; then
  echo "engine: $ENGINE_PACKAGE already installed" >&2
else
  if [ ! -f "$state/installed-by-containai" ]; then
    had=0
    systemctl cat docker.service >/dev/null 2>&1 && had=1
    printf 'package=%s\ndefault_service_existed=%s\n' "$ENGINE_PACKAGE" "$had" > "$state/installed-by-containai"
  fi
  # Keep package installs from starting docker.service / containerd.
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  trap '[ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
  if [ "$ENGINE_PACKAGE" = docker-ce ] && ! apt-cache policy docker-ce | grep -q 'Candidate: [0-9]'; then
    die "docker-ce is not available from this host's apt sources; add Docker's apt repository or set containai:engine.package docker.io"
  fi
  apt_install "$ENGINE_PACKAGE" iptables
fi
if grep -qx 'default_service_existed=0' "$state/installed-by-containai" 2>/dev/null; then
  # We brought Docker here: the host had no default daemon, keep it that way.
  systemctl disable --now docker.socket docker.service >/dev/null 2>&1 || true
fi
