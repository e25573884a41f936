#!/usr/bin/env bash
# Secrets no longer configured for these agents: stop and remove the daemon's
# secrets watcher and the host's copy, then remove the files of ours from
# their /run/secrets (where the container still runs; a removed container
# took its tmpfs with it).
# Env: SOCKET; SECRETS lines "agent container uid name base64-value" (secret);
#      STORE; WATCH_PATH; WATCH_UNIT_NAME
# shellcheck source=lib.sh
[ -n "${CONTAINAI_LIB:-}" ] || . "$(dirname "$0")/lib.sh"
host_lock
dk() { docker -H "unix://$SOCKET" "$@"; }
if [ -n "${WATCH_UNIT_NAME:-}" ]; then
  systemctl disable --now "$WATCH_UNIT_NAME" >/dev/null 2>&1 || true
  rm -f "/etc/systemd/system/$WATCH_UNIT_NAME"
  systemctl daemon-reload
fi
[ -z "${WATCH_PATH:-}" ] || rm -f "$WATCH_PATH"
[ -z "${STORE:-}" ] || rm -f "$STORE" "$STORE.lock"
for container in $(printf '%s\n' "${SECRETS:-}" | awk 'NF {print $2}' | sort -u); do
  [ "$(dk inspect --type container -f '{{.State.Running}}' "$container" 2>/dev/null)" = true ] || continue
  # shellcheck disable=SC2016 # expanded inside the agent
  dk exec -u 0 "$container" sh -c 'd=/run/secrets; m="$d/.containai-managed"; [ -f "$m" ] || exit 0
    while read -r n; do rm -f "$d/$n"; done < "$m"; rm -f "$m"' || true
done
