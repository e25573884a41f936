#!/usr/bin/env bash
# Stop and remove one instance's unit and config; restore files that existed
# before us. The data-root is KEPT unless REMOVE_DATA=1.
# Its firewall chains and bridge go too: nothing of ours stays in iptables.
# Env: DAEMON_NAME UNIT_NAME CONFIG_FILE DATA_ROOT BRIDGE REMOVE_DATA NETWORK_SCRIPT_PATH EGRESS_FILE
#      ROOTFS_GUARD_PATH GUARD_UNIT_NAME
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
host_lock
unit_path="/etc/systemd/system/$UNIT_NAME"
state="$CONTAINAI_STATE/daemons/$DAEMON_NAME"
systemctl disable --now "$UNIT_NAME" >/dev/null 2>&1 || true
for f in "$CONFIG_FILE" "$unit_path"; do
  key=$(echo "$f" | tr '/' '_')
  rm -f "$f" "$f.containai-last-good"
  if [ -f "$state/orig$key" ]; then mv "$state/orig$key" "$f"; fi
  rm -f "$state/managed$key"
done
if [ -n "${GUARD_UNIT_NAME:-}" ]; then
  systemctl disable "$GUARD_UNIT_NAME" >/dev/null 2>&1 || true
  rm -f "/etc/systemd/system/$GUARD_UNIT_NAME"
fi
[ -z "${ROOTFS_GUARD_PATH:-}" ] || rm -f "$ROOTFS_GUARD_PATH"
systemctl daemon-reload
# (An instance converged before the script existed has no chains of ours.)
if [ -x "${NETWORK_SCRIPT_PATH:-}" ]; then "$NETWORK_SCRIPT_PATH" remove "$BRIDGE"; fi
if [ -n "${NETWORK_SCRIPT_PATH:-}" ]; then
  rm -f "$NETWORK_SCRIPT_PATH" "$NETWORK_SCRIPT_PATH.containai-last-good"
  rmdir "$(dirname "$NETWORK_SCRIPT_PATH")" 2>/dev/null || true
fi
# Remove a data-root. One that is a filesystem of its own (a dedicated disk
# or volume: rm -rf cannot remove a mount point) is emptied, the mount point
# kept. Nothing outside it is followed (rm -rf does not follow symlinks).
remove_data_root() {   # dir
  [ -d "$1" ] || return 0
  if mountpoint -q "$1"; then
    find "$1" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
  else
    rm -rf "$1"
  fi
}

if [ -n "${EGRESS_FILE:-}" ]; then
  rm -f "$EGRESS_FILE"
  rmdir "$(dirname "$EGRESS_FILE")" 2>/dev/null || true
fi
ip link del "$BRIDGE" >/dev/null 2>&1 || true
# dockerd < 23's trust key, kept beside our config (deprecated-key-path).
rm -f "$(dirname "$CONFIG_FILE")/key.json"
rmdir "$(dirname "$CONFIG_FILE")" 2>/dev/null || true
if [ "${REMOVE_DATA:-0}" = 1 ]; then
  remove_data_root "$DATA_ROOT"
  echo "daemon $DAEMON_NAME: data-root $DATA_ROOT removed (removeDataOnDestroy)" >&2
else
  echo "daemon $DAEMON_NAME: data-root $DATA_ROOT kept" >&2
fi
