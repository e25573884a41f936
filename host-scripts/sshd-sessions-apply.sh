#!/usr/bin/env bash
# Enough SSH sessions per connection for the docker provider. It reaches an
# isolated daemon through OpenSSH, one session per Docker API connection, all
# multiplexed on one connection (ControlMaster); the engine runs up to 4 x the
# operator's CPUs steps at once, and sshd refuses the 11th session by default
# (MaxSessions 10): "Session open refused by peer".
# - Already allowed (default raised by the operator): nothing is written.
# - MaxSessions set explicitly below MAX_SESSIONS anywhere in the config: the
#   operator's choice is not overridden; fail, naming the file.
# - Else a drop-in of our own (DROPIN), validated by `sshd -t` before sshd
#   reloads (a reload keeps every open connection); an invalid result is undone.
# Env: MAX_SESSIONS DROPIN
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
host_lock
have=$(sshd_effective maxsessions)
[ -n "$have" ] || die "cannot read sshd's configuration (sshd -T failed): is openssh-server installed?"
mine=no
if ours "$DROPIN"; then mine=yes; fi
[ -e "$DROPIN" ] && [ "$mine" = no ] && die "$DROPIN exists and is not managed by containai-infra: move it away or merge it by hand"
if [ "$have" -ge "$MAX_SESSIONS" ] && [ "$mine" = no ]; then exit 0; fi
set_in=$(grep -rilE '^[[:space:]]*MaxSessions[[:space:]]' /etc/ssh/sshd_config /etc/ssh/sshd_config.d/ 2>/dev/null | grep -vxF "$DROPIN" || true)
if [ -n "$set_in" ]; then
  die "sshd's MaxSessions is $have (set in $(echo "$set_in" | tr '\n' ' ')); agents need at least $MAX_SESSIONS: the docker provider opens one SSH session per concurrent Docker API call. Raise it there (sshd -t, then reload ssh), or run pulumi with --parallel 8."
fi
text="$CONTAINAI_MARKER: the docker provider multiplexes one SSH session per
# concurrent Docker API call on one connection (sshd's default is 10).
MaxSessions $MAX_SESSIONS
"
if [ "$mine" = yes ] && [ "$(cat "$DROPIN")" = "$(printf '%s' "$text")" ] && [ "$have" -ge "$MAX_SESSIONS" ]; then exit 0; fi
write_text "$DROPIN" "$text" 0644
if ! out=$(sshd -t 2>&1); then
  rm -f "$DROPIN"
  die "sshd -t refused the configuration with $DROPIN (removed again): $out"
fi
have=$(sshd_effective maxsessions)
if [ "${have:-0}" -lt "$MAX_SESSIONS" ]; then
  rm -f "$DROPIN"
  die "sshd does not read $(dirname "$DROPIN")/*.conf (no Include in /etc/ssh/sshd_config): add 'MaxSessions $MAX_SESSIONS' to /etc/ssh/sshd_config, then reload ssh"
fi
sshd_reload
