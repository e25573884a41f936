#!/usr/bin/env bash
# Env: UNIT_NAME CONFIG_FILE SOCKET
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
echo "config_sha256=$(sha256_of "$CONFIG_FILE")"
echo "unit_sha256=$(sha256_of "/etc/systemd/system/$UNIT_NAME")"
echo "active=$(systemctl is-active "$UNIT_NAME" 2>/dev/null || true)"
echo "enabled=$(systemctl is-enabled "$UNIT_NAME" 2>/dev/null || true)"
info=""
if [ -S "$SOCKET" ] && command -v docker >/dev/null 2>&1; then
  info=$(timeout 10 docker -H "unix://$SOCKET" info --format '{{.DefaultRuntime}} {{.DockerRootDir}}' 2>/dev/null || true)
fi
echo "default_runtime=$(echo "$info" | cut -s -d' ' -f1)"
echo "data_root=$(echo "$info" | cut -s -d' ' -f2)"
