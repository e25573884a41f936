#!/usr/bin/env bash
# Env: ENGINE_PACKAGE
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
if pkg_installed "$ENGINE_PACKAGE"; then echo package=installed; else echo package=missing; fi
# Informational (not compared): lets daemon.json keep dockerd < 23's trust key
# out of /etc/docker.
v=""
command -v dockerd >/dev/null 2>&1 && v=$(dockerd --version 2>/dev/null | sed -n 's/^Docker version \([0-9][0-9.]*\).*/\1/p')
echo "dockerd_version=${v:-unknown}"
