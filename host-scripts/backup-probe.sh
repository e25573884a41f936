#!/usr/bin/env bash
# The agents' backups as they are on the host (key=value lines): the timer,
# the tool, its settings and units as written, and each agent's last backup
# (host-scripts/backup.sh status: ok, failed, late, never). Values are
# compared here; the settings (secret) are never printed.
# Env: as backup-apply.sh
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
w=""
command -v restic >/dev/null 2>&1 || w="$w restic not installed"
command -v rsync >/dev/null 2>&1 || w="$w rsync not installed"
cmp -s <(printf '%s' "$TOOL") "$TOOL_PATH" 2>/dev/null || w="$w $TOOL_PATH changed"
cmp -s <(printf '%s' "$ENV_TEXT") "$CONF/env" 2>/dev/null || w="$w $CONF/env changed"
[ "$(stat -c '%u %a' "$CONF/env" 2>/dev/null)" = "0 600" ] || w="$w $CONF/env not root 0600"
cmp -s <(printf '%s' "$AGENTS_TEXT") "$CONF/agents" 2>/dev/null || w="$w $CONF/agents changed"
cmp -s <(printf '%s' "$UNIT_TEXT") "/etc/systemd/system/$UNIT" 2>/dev/null || w="$w $UNIT changed"
cmp -s <(printf '%s' "$TIMER_TEXT") "/etc/systemd/system/$TIMER" 2>/dev/null || w="$w $TIMER changed"
[ "$(systemctl is-active "$TIMER" 2>/dev/null || true)" = active ] || w="$w $TIMER not active"
echo "setup=${w:+${w# }}${w:-ok}"
if [ -x "$TOOL_PATH" ] && [ -r "$CONF/env" ] && [ -r "$CONF/agents" ]; then
  "$TOOL_PATH" status 2>/dev/null || true
fi
