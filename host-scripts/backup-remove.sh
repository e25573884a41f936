#!/usr/bin/env bash
# Backups no longer configured: the timer, its service, the tool and its
# settings (the password) go. The repository and its snapshots are never
# touched: they outlive the stack, so a restore is possible afterwards.
# Env: as backup-apply.sh
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
host_lock
systemctl disable --now "$TIMER" >/dev/null 2>&1 || true
rm -f "/etc/systemd/system/$TIMER" "/etc/systemd/system/$UNIT"
systemctl daemon-reload
rm -f "$TOOL_PATH" "$CONF/env" "$CONF/agents"
rmdir "$CONF" 2>/dev/null || true
rm -rf "$STATE"
