#!/usr/bin/env bash
# Env: UNIT_NAME CONFIG_FILE SOCKET BRIDGE BRIDGE_GW BRIDGE_SUBNET NETWORK_SCRIPT_PATH EGRESS_FILE
#      ROOTFS_GUARD_PATH GUARD_UNIT_NAME
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
echo "network_script_sha256=$(sha256_of "$NETWORK_SCRIPT_PATH")"
echo "egress_sha256=$(sha256_of "${EGRESS_FILE:-/nonexistent}")"
echo "rootfs_guard_sha256=$(sha256_of "${ROOTFS_GUARD_PATH:-/nonexistent}")"
echo "guard_unit_sha256=$(sha256_of "/etc/systemd/system/${GUARD_UNIT_NAME:-none}")"
echo "guard_enabled=$(systemctl is-enabled "${GUARD_UNIT_NAME:-none}" 2>/dev/null || true)"
# The bridge's addresses (all of them: a stale one is drift) and the subnet
# dockerd actually uses for its default network.
echo "bridge_addresses=$(ip -4 -o addr show dev "$BRIDGE" 2>/dev/null | awk '{print $4}' | sort | paste -sd, -)"
subnet=""
if [ -S "$SOCKET" ] && command -v docker >/dev/null 2>&1; then
  subnet=$(timeout 10 docker -H "unix://$SOCKET" network inspect bridge -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}' 2>/dev/null || true)
fi
echo "docker_subnet=$subnet"
if [ -x "$NETWORK_SCRIPT_PATH" ]; then
  echo "firewall=$("$NETWORK_SCRIPT_PATH" check "$BRIDGE" "$BRIDGE_GW" "$BRIDGE_SUBNET" 2>&1 | tr '\n' ' ' | sed 's/ $//' || true)"
else
  echo "firewall=no network script"
fi
