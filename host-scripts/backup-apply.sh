#!/usr/bin/env bash
# The agents' backups (containai:backup): restic installed, the backup tool
# (host-scripts/backup.sh) and its settings, the timer that runs it. The
# repository is checked (created when empty) with the configured password, so
# a wrong one fails this step naming the key. Agents whose last backup failed
# or is late are backed up now.
# Env: TOOL TOOL_PATH; CONF STATE; ENV_TEXT (secret); AGENTS_TEXT; SCHEDULE;
#      UNIT UNIT_TEXT TIMER TIMER_TEXT
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
host_lock

systemd-analyze calendar "$SCHEDULE" >/dev/null 2>&1 \
  || die "containai:backup.schedule: systemd does not read \"$SCHEDULE\" as a calendar expression (systemd-analyze calendar); e.g. daily, hourly, *-*-* 03:00; nothing was changed"
# restic backs up and restores; rsync puts a restore in place (sysbox depends on it too).
pkgs=()
command -v restic >/dev/null 2>&1 || pkgs+=(restic)
command -v rsync >/dev/null 2>&1 || pkgs+=(rsync)
[ "${#pkgs[@]}" -eq 0 ] || apt_install "${pkgs[@]}"

mkdir -p "$CONF" "$STATE"
chmod 0700 "$CONF"
stage=$(mktemp -d)
# The settings hold the password: written in their own directory (never through /tmp), 0600.
new=$(umask 077 && mktemp "$CONF/.env.XXXXXX")
trap 'rm -rf "$stage" "$new"' EXIT
printf '%s' "$ENV_TEXT" > "$new"
printf '%s' "$TOOL" > "$stage/tool"
cmp -s "$stage/tool" "$TOOL_PATH" 2>/dev/null || atomic_install "$stage/tool" "$TOOL_PATH" 0755
# The repository answers with the new settings (a wrong password fails here,
# naming the key) before they replace the old ones.
CONTAINAI_BACKUP_ENV=$new "$TOOL_PATH" check \
  || die "containai:backup: the repository check failed (above); the backup settings on the host were not changed"
mv -f "$new" "$CONF/env"
write_text "$CONF/agents" "$AGENTS_TEXT" 0644
reload=0
for u in "$UNIT:$UNIT_TEXT" "$TIMER:$TIMER_TEXT"; do
  printf '%s' "${u#*:}" > "$stage/unit"
  if ! cmp -s "$stage/unit" "/etc/systemd/system/${u%%:*}" 2>/dev/null; then
    atomic_install "$stage/unit" "/etc/systemd/system/${u%%:*}" 0644
    reload=1
  fi
done
[ "$reload" = 0 ] || systemctl daemon-reload
[ -f "$STATE/since" ] || date +%s > "$STATE/since"
systemctl enable --now "$TIMER" >/dev/null 2>&1
[ "$reload" = 0 ] || systemctl restart "$TIMER"
# Agents whose backup failed or is late: now, not at the next tick.
late=$("$TOOL_PATH" status | awk -F'[.=]' '$0 !~ /=ok$/ {print $1}')
if [ -n "$late" ]; then
  # shellcheck disable=SC2086 # agent names, split on purpose
  "$TOOL_PATH" run $late || die "containai:backup: backing up ${late//$'\n'/ } failed (above)"
fi
