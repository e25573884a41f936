#!/usr/bin/env bash
# Whether the host's sshd allows MAX_SESSIONS sessions per connection (key=value):
# max_sessions=ok, or the effective value. Read-only (sshd -T, as root).
# Env: MAX_SESSIONS DROPIN
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
have=$(sshd_effective maxsessions)
if [ -n "$have" ] && [ "$have" -ge "$MAX_SESSIONS" ]; then echo max_sessions=ok; else echo "max_sessions=${have:-unknown}"; fi
