#!/usr/bin/env bash
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
v=""
if command -v sysbox-runc >/dev/null 2>&1; then
  v=$(sysbox-runc --version 2>/dev/null | awk -F':' '/version/ {gsub(/[ \t]/, "", $2); print $2; exit}' || true)
fi
echo "version=${v:-none}"
# ok: the installed version is the one last chosen and still configured.
ok=no
if [ -n "$v" ] && [ "$(cat "$CONTAINAI_STATE/sysbox/version" 2>/dev/null)" = "$v" ] \
   && printf '%s\n' "${SYSBOX_CANDIDATES:-}" | awk '{print $4}' | grep -qx "$v"; then
  ok=yes
fi
echo "version_ok=$ok"
echo "active=$(systemctl is-active sysbox.service 2>/dev/null || true)"
echo "enabled=$(systemctl is-enabled sysbox.service 2>/dev/null || true)"
# Agent containers stopped for an upgrade and not started again (a run died
# midway): drift until the next run starts them.
pending=0
[ -f "$CONTAINAI_STATE/sysbox/stopped-containers" ] && pending=$(grep -c . "$CONTAINAI_STATE/sysbox/stopped-containers" || true)
echo "agents_pending_restart=$pending"
